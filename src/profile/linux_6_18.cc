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
      .kernels = "6.0 and later (merge rules of 6.18.8+)",
      .fork_may_reuse = reuse_unused_with_one_child,
  };
  return p;
}

}  // namespace rmaplab::model
