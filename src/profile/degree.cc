// degree: Linux 3.19 to 5.19 (commit 7a3ef208e662, "mm: prevent endless
// growth of anon_vma hierarchy", until CVE-2022-42703's fix in 6.0 and the
// 5.19.7 stable release). Field guide §12.3, §12.5.
//
// Those kernels kept one counter, `degree`: live child anon_vmas (a root
// counting itself) plus the VMAs using the anon_vma as their own. Every
// path that changed it changed exactly one of 6.18's two counters, by the
// same amount, so degree == num_children + num_active_vmas at all times,
// and the profile needs only the old reuse rule, written with it:
//
//   !dst->anon_vma && src->anon_vma && anon_vma != src->anon_vma &&
//   anon_vma->degree < 2
//
// (anon_vma_fork is the only caller with !dst->anon_vma and src->anon_vma.)
// Degree 1 reads as "one child, no VMA" but can also be "no child, one VMA
// other than src's": the double reuse of examples/cve-2022-42703.rml.
//
// Not modelled: the merge rules of those kernels (the model merges by
// 6.18.8's rules under every profile).
#include "rmaplab/profile.h"

namespace rmaplab::model {
namespace {

int degree_of(ReuseCandidate av) { return av.num_children + av.num_active_vmas; }

bool reuse_degree_below_two(ReuseCandidate av) { return !av.is_pvma_anon_vma && degree_of(av) < 2; }

}  // namespace

const Profile& degree() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "degree";
    r.description =
        "one degree counter: fork reuses any anon_vma other than the parent's with degree < 2 "
        "(CVE-2022-42703)";
    r.kernels = "3.19 to 5.19";
    r.claims_from = {3, 19};
    r.claims_to = {5, 19};
    r.fork_may_reuse = reuse_degree_below_two;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
