// linux-7.0-pre-fix: linux-7.0 without 3a206a8649f8 "mm/rmap: clear
// vma->anon_vma on error" (March 2026; designs-2026.md §4.2): the clean-up
// series as merged in January 2026.
//
// Before the fix, cleanup_partial_anon_vmas freed the AVCs of a failed
// anon_vma_clone but left dst->anon_vma set. Split and mremap free dst
// on that error, but a merge's dup_anon_vma clones into a live, unfaulted
// VMA after setting its anon_vma to src's (VMA_OP_MERGE_UNFAULTED): the
// merge fails with ENOMEM and that VMA stays pointing at src's anon_vma,
// with an empty chain and not counted in num_active_vmas. Its own
// unlink_anon_vmas then decrements a count it never had, and the last
// VMA of the anon_vma to go underflows it (the commit's "counter underflow
// and kernel warning at process teardown"); its pages, faulted without
// __anon_vma_prepare, are in no tree the rmap walk visits.
// `rmaplab run --fail-each --profile linux-7.0-pre-fix` finds it where an
// unfaulted VMA absorbs a faulted one (examples/18-mmap-merge.rml).
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& linux_7_0_pre_fix() {
  static const Profile p = [] {
    Profile r = linux_7_0();
    r.name = "linux-7.0-pre-fix";
    r.description =
        "linux-7.0 before the March 2026 fix: a merge whose clone fails leaves the VMA "
        "pointing at an anon_vma that does not count it";
    r.kernels = "7.0-rc (January to March 2026), argued from source";
    r.claims_from = r.claims_to = {};  // a proposal (or an -rc): claims no release
    r.clone_unwind_keeps_anon_vma = true;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
