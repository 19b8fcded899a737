// rfc-v2: "[RFC PATCH v2] mm/rmap: make num_children and num_active_vmas
// update in internally" (Yajun Deng, September 2025; NAKed), applied to
// 6.18. See shared/docs/seed-rfc-v2.txt.
//
// What it changes, and how the model states it:
//   - __anon_vma_alloc(parent) sets parent and root and raises
//     parent->num_children itself, taking and dropping the family's root
//     write lock to do so: alloc_takes_root_lock. (The model's
//     anon_vma_create_root/child already bundle these counter updates, so
//     only the lock is new.)
//   - anon_vma_fork allocates its AVC before its anon_vma: fork_alloc.
//   - vma_attach_anon/vma_detach_anon pair vma->anon_vma with
//     num_active_vmas, under the root lock. The model's
//     vma_attach_anon_vma/vma_detach_anon_vma already do the pairing, and
//     at the same points (under the lock the caller holds), so this part
//     needs no hook: it changes no event, lock count or counter.
// The reuse rule is 6.18's.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& rfc_v2() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "rfc-v2";
    r.description =
        "the seed RFC on 6.18: the allocator counts the child in its parent under the root lock; "
        "fork allocates its AVC first";
    r.kernels = "proposal (RFC v2, September 2025, NAKed) on 6.18";
    r.claims_from = r.claims_to = {};  // a proposal (or an -rc): claims no release
    r.fork_alloc = Profile::ForkAlloc::avc_first;
    r.alloc_takes_root_lock = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
