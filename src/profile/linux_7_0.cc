// linux-7.0: 6.18 with the January 2026 "mm: clean up anon_vma
// implementation" series as merged for 7.0 (mainline 91901a441fa1,
// 53eb797ffc3a, bfc2b13b05a1, d17f02417a33, all dated 2026-01-18; in the
// mm-stable pull of the 7.0 merge window) and the March 2026 fix
// 3a206a8649f8 "mm/rmap: clear vma->anon_vma on error". Rules from
// shared/docs/designs-2026.md §4.1-4.2 and the 7.x mm/rmap.c in
// kernelorg-mirror/linux_kernel_git_ljs_linux (@783e3bdb5f85), and one rule
// measured on Debian's 7.3.4 under `rmaplab verify --kernel debian-7.3`
// (the order of unlink_anon_vmas' frees, below).
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
//   - the clone walks src's chain from its head and list_add()s each new
//     AVC, so dst's chain is src's reversed, and maybe_reuse_anon_vma meets
//     the candidates in src's order: clone_reverses_chain. The chains then
//     keep no children-first order (the checker's I5 holds only for 6.18's
//     order), and unlink_anon_vmas may put a root before its child; the root
//     is then freed inside the child's __put_anon_vma, which Debian's 7.3.4
//     build traces at unlink_anon_vmas (a tail call):
//     root_free_traced_in_caller. Both measured with `rmaplab verify
//     --kernel debian-7.3` (examples/04-deep-fork-chain-reuse.rml line 31:
//     the kernel frees D, its AVC, the root's AVC, then B and the root).
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& linux_7_0() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "linux-7.0";
    r.description =
        "the 2026 anon_vma clean-up as merged, with the March fix: fork allocates before "
        "cloning, the clone allocates its AVCs before taking the lock and reverses the chain";
    r.kernels = "7.0 to 7.3 (verified on Debian's 7.3.4)";
    r.claims_from = {7, 0};
    r.claims_to = {7, 3};
    r.fork_alloc = Profile::ForkAlloc::before_clone;
    r.clone_allocates_unlocked = true;
    r.clone_reverses_chain = true;
    r.root_free_traced_in_caller = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
