// cleanup-2026: the January 2026 "mm: clean up anon_vma implementation"
// series as posted (field guide §12.2; not in 6.18, never run here).
//
// What it changes, and how the model states it:
//   - anon_vma_fork allocates the child's anon_vma and its AVC before
//     cloning, and releases both if the clone reused an ancestor (a
//     reusing fork shows +1/-1 anon_vma and +1/-1 AVC): fork_alloc.
//   - anon_vma_clone allocates all AVCs with GFP_KERNEL before taking the
//     root lock once to link them, and a failed allocation frees the
//     unlinked AVCs instead of calling unlink_anon_vmas:
//     clone_allocates_unlocked.
//   - anon_vma_clone takes an operation argument (split, merge, remap,
//     fork) and applies the reuse rule (maybe_reuse_anon_vma: no active
//     VMA, at most one child; 6.18's) only for fork. The model's
//     anon_vma_clone and anon_vma_fork are already that split, so this
//     needs no hook.
//   - unlink_anon_vmas returns early for an unfaulted VMA and locks the
//     VMA's own anon_vma's root: the same acquisitions as 6.18's
//     lock_anon_vma_root, since every anon_vma on a chain has one root.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& cleanup_2026() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "cleanup-2026";
    r.description =
        "the 2026 anon_vma clean-up: fork allocates before cloning, the clone allocates "
        "its AVCs before taking the lock";
    r.kernels = "proposal (mm patches, January 2026) on 6.18";
    r.fork_alloc = Profile::ForkAlloc::before_clone;
    r.clone_allocates_unlocked = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
