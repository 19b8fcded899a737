// linux-7.0: 6.18 with the January 2026 "mm: clean up anon_vma
// implementation" series as merged for 7.0 (mainline 91901a441fa1,
// 53eb797ffc3a, bfc2b13b05a1, d17f02417a33, all dated 2026-01-18; in the
// mm-stable pull of the 7.0 merge window) and the March 2026 fix
// 3a206a8649f8 "mm/rmap: clear vma->anon_vma on error". Rules from
// shared/docs/designs-2026.md §4.1-4.2 and the 7.x mm/rmap.c in
// kernelorg-mirror/linux_kernel_git_ljs_linux (@783e3bdb5f85). Named after
// the kernel it will be verified against once one can be booted; until
// then argued from source, not run.
//
// What it changes, and how the model states it:
//   - anon_vma_fork allocates the child's anon_vma and its AVC before
//     cloning (ENOMEM there: return, nothing to tear down), and puts and
//     frees both if the clone reused an ancestor or failed (a reusing fork
//     shows +1/-1 anon_vma and +1/-1 AVC): fork_alloc.
//   - anon_vma_clone allocates all AVCs (GFP_KERNEL) before taking the root
//     lock once to insert them, and a failed allocation frees the unlinked
//     AVCs (cleanup_partial_anon_vmas) instead of calling unlink_anon_vmas:
//     clone_allocates_unlocked. With the March fix it also clears
//     dst->anon_vma (the model's clone never set it), so the unwind leaves
//     nothing; linux-7.0-pre-fix is the same without the fix.
//   - anon_vma_clone takes an operation (split, merge of an unfaulted VMA,
//     remap, fork) and applies the reuse rule (maybe_reuse_anon_vma: no
//     active VMA, at most one child, 6.18's) only for fork. The model's
//     anon_vma_clone and anon_vma_fork are already that split: no hook.
//   - unlink_anon_vmas returns at once for an unfaulted VMA and takes
//     anon_vma_lock_write(vma->anon_vma) once instead of lock_anon_vma_root
//     per AVC: the same acquisitions, since every anon_vma on one chain has
//     one root and a faulted VMA's chain is never empty. No hook.
//   - anon_vma_merge is gone; its callers unlink directly (it was a check
//     and an unlink_anon_vmas): nothing the model sees. No hook.
// Not modelled (open): the 7.x clone walks src's chain head first and
// list_add()s each new AVC, so dst's chain comes out in the reverse of
// src's order and maybe_reuse_anon_vma is tried leaf first. The model
// keeps 6.18's order (root first, chain newest first), which the checker's
// I5 requires; a 7.0 kernel run will settle it (doc/profiles.md, Limits).
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& linux_7_0() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "linux-7.0";
    r.description =
        "the 2026 anon_vma clean-up as merged, with the March fix: fork allocates before "
        "cloning, the clone allocates its AVCs before taking the lock";
    r.kernels = "7.0 (January 2026 series, March 2026 fix), argued from source";
    r.fork_alloc = Profile::ForkAlloc::before_clone;
    r.clone_allocates_unlocked = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
