// linux-6.18: the rules of this machine's kernel (field guide §3.2). Every
// hook keeps its default (profile.h); only the reuse rule is spelled out.
#include "rmaplab/profile.h"

namespace rmaplab::model {
namespace {

// Since 6.0 (CVE-2022-42703's fix): reuse an anon_vma no VMA is active on
// and with at most one live child.
bool reuse_unused_with_one_child(ReuseCandidate av) {
  return av.num_active_vmas == 0 && av.num_children < 2;
}

}  // namespace

const Profile& linux_6_18() {
  static const Profile p{
      .name = kDefaultProfile,
      .description =
          "this machine's kernel: fork reuses an anon_vma with no active VMA and at most one child",
      .kernels = "6.18 (verified on this machine's 6.18.44; merge rules of 6.18.8+)",
      .fork_may_reuse = reuse_unused_with_one_child,
      // Claimed: only the verified release. 6.16 has 6.18's merge rule but
      // not its mremap (6.17); what else 6.17 and 6.19 change is unmeasured.
      .claims_from = {6, 18},
      .claims_to = {6, 18},
  };
  return p;
}

}  // namespace rmaplab::model
