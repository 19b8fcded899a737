// rfc-v1: "[PATCH] mm/rmap: make num_children and num_active_vmas update in
// internally" (Yajun Deng, 5 September 2025), the seed RFC's first version as
// posted, on 6.18. Its diff is described rule by rule in
// shared/docs/designs-2026.md §3.2; syzbot ci reported it two days later as
// "WARNING in unlink_anon_vmas" (exit_mmap -> free_pgtables, the counter at
// -1), and reviewers (Lorenzo Stoakes, Liam Howlett) found the rest.
//
// What it changes, and how the model states it:
//   - anon_vma_clone lost its closing `dst->anon_vma->num_active_vmas++`:
//     the increment moved into anon_vma_attach, which only the fork-reuse
//     branch calls. A split, a merge (dup_anon_vma) or a move (copy_vma)
//     makes a VMA share src's anon_vma uncounted: clone_counts_active_vma.
//     Fault a private mapping, mprotect part of it, exit: the first VMA's
//     unlink takes num_active_vmas to 0, the second's below it
//     (examples/rfc-v1-split-exit.rml). The checker sees the undercount
//     already after the split (I6).
//   - the reuse branch attaches at once (anon_vma_attach inside the chain
//     walk), while the unwind still clears dst->anon_vma before
//     unlink_anon_vmas: a fork that reused and then fails to allocate a
//     later AVC leaves num_active_vmas raised (Liam Howlett's review):
//     clone_attaches_reuse_in_walk.
//   - anon_vma_alloc(parent) raises parent->num_children at allocation,
//     before anon_vma_fork allocates the AVC, and get_anon_vma(root) comes
//     only after it. A failed AVC allocation puts the new anon_vma: the
//     parent keeps the count (Liam Howlett), and __put_anon_vma drops a root
//     reference that was never taken (designs-2026.md §3.2 item 5, a
//     reading of the diff the reviewers did not state; with the root's only
//     reference, that frees the root while the parent VMA uses it):
//     fork_unwind_leaks_child.
//   - __anon_vma_prepare's alloc-then-count and the attach/detach helpers
//     change nothing the model can see. Allocation order and locks are
//     6.18's (v1's allocator takes no lock; v2's does).
// Not modelled: the num_children++ outside the lock is a race between
// concurrent forks of one family, which single-threaded scripts cannot have.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& rfc_v1() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "rfc-v1";
    r.description =
        "the seed RFC's first version: a split, merge or move leaves num_active_vmas one short, "
        "so teardown underflows it; leaks on fork's ENOMEM paths";
    r.kernels = "proposal (RFC v1, September 2025, broken: syzbot) on 6.18";
    r.claims_from = r.claims_to = {};  // a proposal (or an -rc): claims no release
    r.clone_counts_active_vma = false;
    r.clone_attaches_reuse_in_walk = true;
    r.fork_unwind_leaks_child = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
