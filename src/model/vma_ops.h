// VMA split, merge and unmap: Linux 6.18.8+ mm/vma.c as it touches anon_vma
// state (field guide §5.2, §6). Kernel names throughout.
//
//   __split_vma          a VMA becomes two; the new piece clones the chain
//   vma_merge_existing_range / vma_modify
//                        attributes of part of a VMA change (mprotect, madvise)
//   vma_merge_new_range  a new range (mmap, mremap copy, mremap grow) joins
//                        its neighbours
//   do_vmi_munmap        split the ends, detach, zap, unlink_anon_vmas, free
//
// Left out: mempolicy, uffd and anon_vma_name (the language cannot set
// them), VM_SPECIAL and close hooks (no such mappings here), map-count limits
// (a script stays far below them), sealing.
#pragma once

#include <cstdint>
#include <vector>

#include "model/machine.h"
#include "model/mm.h"

namespace rmaplab::model {

// The state one merge threads through its steps, drawn the kernel's way:
//
//     | prev | middle | next |
//
// Inputs first, then what the merge decided. `middle` is the VMA being
// modified (existing-range merges); new-range merges have none, and mremap's
// copy names its source in `copied_from`.
struct vma_merge_struct {
  mm_struct* mm = nullptr;
  vm_area_struct* prev = nullptr;
  vm_area_struct* middle = nullptr;
  vm_area_struct* next = nullptr;
  std::uint32_t start = 0, end = 0;  // the range being mapped or modified
  std::uint64_t pgoff = 0;
  std::uint32_t vm_flags = 0;           // the flags the range will have
  std::uint32_t shmem = 0;              // the "file"
  struct anon_vma* anon_vma = nullptr;  // the range's anon_vma (middle's, or the copy source's)
  const vm_area_struct* copied_from = nullptr;

  // Decided by the merge.
  vm_area_struct* target = nullptr;  // the VMA that survives and grows
  bool remove_middle = false;
  bool remove_next = false;
  bool adjust_middle_start = false;  // middle shrinks from the left
  bool adjust_next_start = false;    // next grows to the left
  enum class State { start, nomerge, success, error_nomem } state = State::start;
};

vm_area_struct* vm_area_dup(Machine& m, const vm_area_struct* vma);
// remove_vma: frees a VMA that is already unlinked from its anon_vmas.
void remove_vma(Machine& m, vm_area_struct* vma);

// Splits at `addr`; with new_below the new VMA is the lower piece, else the
// upper. Returns 0 or -ENOMEM (clone failure); nothing changes on failure.
int split_vma(Machine& m, vm_area_struct* vma, std::uint32_t addr, bool new_below);

// mprotect/madvise: the range [start, end) of `vma` gets `vm_flags`. Tries a
// merge with prev/next, else splits so that exactly the range is one VMA.
// `prev` is the VMA before the range (vma itself when start is inside it).
// Returns that VMA, or null with *err set.
vm_area_struct* vma_modify_flags(Machine& m, vm_area_struct* prev, vm_area_struct* vma,
                                 std::uint32_t start, std::uint32_t end, std::uint32_t vm_flags,
                                 int* err);

// A new range next to prev/next: expands one of them (and may delete next).
// Returns the expanded VMA, or null when no merge happened.
vm_area_struct* vma_merge_new_range(Machine& m, vma_merge_struct& vmg);

// The same for a new mapping under Profile::mmap_merges_next_first (6.1's
// mmap_region): next is tried first, prev against next's anon_vma.
vm_area_struct* mmap_region_expand(Machine& m, vma_merge_struct& vmg);

// The VMAs of [start, end) once the ends were split off and they were taken
// out of the mm: what munmap, MAP_FIXED and mremap tear down.
struct vma_munmap_struct {
  std::uint32_t start = 0, end = 0;
  std::vector<vm_area_struct*> detached;  // in address order
  vm_area_struct* prev = nullptr;         // neighbours of the range afterwards
  vm_area_struct* next = nullptr;
};

// Splits the ends and detaches the VMAs inside [start, end). 0 or -ENOMEM
// (then nothing is detached, though an end may already be split, as in
// the kernel).
int vms_gather_munmap_vmas(Machine& m, mm_struct& mm, vma_munmap_struct& vms);
// Zaps the detached VMAs' pages and unlinks their anon_vmas, in address order.
void vms_clear_ptes(Machine& m, mm_struct& mm, vma_munmap_struct& vms);
// Frees the detached VMA objects.
void vms_complete_munmap_vmas(Machine& m, vma_munmap_struct& vms);

// munmap of [start, end): 0 or -ENOMEM.
int do_vmi_munmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t end);

// Drops the page-table entries of [start, end) in mm (zap_page_range).
void zap_page_range(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t end);

}  // namespace rmaplab::model
