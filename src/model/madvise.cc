// madvise (6.18 mm/madvise.c madvise_walk_vmas, madvise_vma_behavior,
// madvise_update_vma, madvise_dontneed_single_vma) for the advices the
// language has.
#include <algorithm>
#include <cerrno>

#include "model/syscalls.h"
#include "model/vma_ops.h"

namespace rmaplab::model {
namespace {

// The flag-changing advices: split and merge exactly like mprotect.
int madvise_update_vma(Machine& m, vm_area_struct* vma, vm_area_struct** pprev, std::uint32_t start,
                       std::uint32_t end, Advice advice) {
  std::uint32_t new_flags = vma->vm_flags;
  switch (advice) {
    case Advice::dontfork:
      new_flags |= VM_DONTCOPY;
      break;
    case Advice::dofork:
      new_flags &= ~VM_DONTCOPY;
      break;
    case Advice::wipeonfork:
      // Only private anonymous memory can be wiped for the child.
      if (!vma->is_anonymous() || (vma->vm_flags & VM_SHARED)) return -EINVAL;
      new_flags |= VM_WIPEONFORK;
      break;
    case Advice::keeponfork:
      new_flags &= ~VM_WIPEONFORK;
      break;
    case Advice::dontneed:
      break;
  }
  if (new_flags == vma->vm_flags) {
    *pprev = vma;
    return 0;
  }
  int err = 0;
  vma = vma_modify_flags(m, *pprev, vma, start, end, new_flags, &err);
  if (!vma) return err;
  *pprev = vma;
  vma->vm_flags = new_flags;
  return 0;
}

// MADV_DONTNEED on the part [start, end) of one VMA: zap its pages; the
// VMA and its anon_vma stay.
void madvise_dontneed_single_vma(Machine& m, mm_struct& mm, std::uint32_t start,
                                 std::uint32_t end) {
  zap_page_range(m, mm, start, end);
}

}  // namespace

int do_madvise(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Advice advice) {
  const std::uint32_t end = start + pages;
  vm_area_struct* vma = mm.find_vma(start);
  // DONTNEED works under the per-VMA lock when the range lies in one VMA
  // (try_vma_read_lock), else under mmap_lock for read; the advices that
  // change flags take it for write.
  if (advice != Advice::dontneed)
    m.env().count_lock(Lock::mmap_lock_write);
  else if (!(vma && vma->vm_start <= start && end <= vma->vm_end))
    m.env().count_lock(Lock::mmap_lock_read);
  vm_area_struct* prev = vma ? mm.vma_prev(vma) : mm.prev_of(start);
  if (vma && start > vma->vm_start) prev = vma;

  // Holes are skipped: every mapped piece is advised, then ENOMEM is returned.
  int unmapped_error = 0;
  for (;;) {
    if (!vma) return -ENOMEM;
    if (start < vma->vm_start) {
      unmapped_error = -ENOMEM;
      start = vma->vm_start;
      if (start >= end) break;
    }
    const std::uint32_t tmp = std::min(vma->vm_end, end);
    if (advice == Advice::dontneed) {
      madvise_dontneed_single_vma(m, mm, start, tmp);
      prev = vma;
    } else if (int err = madvise_update_vma(m, vma, &prev, start, tmp, advice)) {
      return err;
    }
    start = tmp;
    if (prev && start < prev->vm_end) start = prev->vm_end;
    if (start >= end) break;
    vma = mm.find_vma(prev ? prev->vm_end : start);
  }
  return unmapped_error;
}

}  // namespace rmaplab::model
