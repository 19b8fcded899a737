// linux-6.12: the rules of Linux 6.12 (Debian trixie's kernel, verified
// against 6.12.117: doc/kernels.md), stated as what differs from 6.18. The
// anon_vma lifecycle (mm/rmap.c: reuse at fork, clone, unlink) is 6.18's;
// two VMA rules are older:
//
//   - is_mergeable_anon_vma asks for a singular anon_vma_chain on the merge
//     target whenever one side has no anon_vma. An unfaulted target has an
//     empty chain, so it never absorbs, or grows over, a faulted range; 6.16
//     ("mm/vma: fix incorrectly disallowed anonymous VMA merges") made that
//     case a dup_anon_vma. examples/07-split-merge-after-fork.rml line 32:
//     6.12 keeps [0,4) and [4,6) apart. merge_unfaulted_with_faulted.
//   - mremap handles one VMA: the syscall looks the source up under the lock
//     first (EFAULT), mremap_to then refuses an overlap (EINVAL), unmaps the
//     destination and calls vma_to_resize, which refuses a source that runs
//     past its VMA (EFAULT). 6.17 moves each VMA of such a range and checks
//     the overlap before the lock. mremap_moves_several_vmas.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& linux_6_12() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "linux-6.12";
    r.description =
        "6.18's anon_vma rules with 6.12's VMA rules: an unfaulted VMA never merges with a "
        "faulted one, mremap moves one VMA";
    r.kernels = "6.12 (verified on Debian's 6.12.117)";
    r.claims_from = {6, 12};  // 6.13 to 6.15 keep both rules, but are unmeasured
    r.claims_to = {6, 12};
    r.merge_unfaulted_with_faulted = false;
    r.mremap_moves_several_vmas = false;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
