// linux-6.1: the rules of Linux 6.1 (Debian bookworm's kernel, verified
// against 6.1.176: doc/kernels.md), stated as what differs from 6.18. The
// anon_vma lifecycle (reuse at fork since CVE-2022-42703's fix, clone,
// unlink) is 6.18's; the VMA code is older (mm/mmap.c before mm/vma.c
// existed), and differs in five rules:
//
//   - the two of linux-6.12 (merge_unfaulted_with_faulted: 6.1's
//     is_mergeable_anon_vma has the same singular-chain test on the target;
//     mremap_moves_several_vmas: 6.1's mremap has the same order of checks);
//   - do_mas_align_munmap splits the start of the range with the new VMA
//     above (__split_vma(..., new_below = 0)) and the end with the new VMA
//     below (new_below = 1), so the pieces that go are the new VMAs and the
//     original keeps what stays: at a split unmap (munmap, MAP_FIXED over a
//     mapping, mremap's source) the AVCs freed are the clones, not the
//     original's (examples/08-munmap.rml line 22: the model's AVC #3, where
//     6.18 frees #1). munmap_unmaps_new_pieces.
//   - mmap_region expands an old mapping itself: it tries next first (with
//     no anon_vma for the new range), then prev against next's anon_vma when
//     next matched, and expands prev when it matched, else next. A new range
//     between two faulted VMAs with different anon_vmas joins next (6.18:
//     prev), and an unfaulted prev cannot take a faulted next, so the range
//     joins next and nothing is allocated (6.18: prev takes both with
//     dup_anon_vma). examples/18-mmap-merge.rml lines 29 and 39.
//     mmap_merges_next_first.
//   - mprotect_fixup never gives VM_ACCOUNT back: an unfaulted VMA made
//     read-only keeps it, so a fresh read-only neighbour does not merge
//     (examples/16-vm-account.rml line 33). mprotect_refunds_unfaulted.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& linux_6_1() {
  static const Profile p = [] {
    Profile r = linux_6_12();
    r.name = "linux-6.1";
    r.description =
        "linux-6.12 with 6.1's mm/mmap.c: munmap frees the split-off pieces, a new mapping "
        "tries the next VMA first";
    r.kernels = "6.1 (verified on Debian's 6.1.176)";
    r.claims_from = {6, 1};
    r.claims_to = {6, 1};
    r.munmap_unmaps_new_pieces = true;
    r.mmap_merges_next_first = true;
    r.mprotect_refunds_unfaulted = false;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
