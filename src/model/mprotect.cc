// mprotect (6.18 mm/mprotect.c do_mprotect_pkey, mprotect_fixup).
#include <algorithm>
#include <cerrno>

#include "model/syscalls.h"
#include "model/vma_ops.h"

namespace rmaplab::model {
namespace {

int mprotect_fixup(Machine& m, vm_area_struct* vma, vm_area_struct** pprev, std::uint32_t start,
                   std::uint32_t end, std::uint32_t newflags) {
  const std::uint32_t oldflags = vma->vm_flags;
  if (newflags == oldflags) {
    *pprev = vma;
    return 0;
  }
  // Making a private mapping writable charges it; making it read-only again
  // refunds only while it has no anon_vma (field guide §6.4, the VM_ACCOUNT trap),
  // and before 6.2 never (Profile::mprotect_refunds_unfaulted).
  if (newflags & VM_WRITE) {
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED))) newflags |= VM_ACCOUNT;
  } else if ((oldflags & VM_ACCOUNT) && vma->is_anonymous() && !vma->anon_vma &&
             m.env().profile().mprotect_refunds_unfaulted) {
    newflags &= ~VM_ACCOUNT;
  }
  int err = 0;
  vma = vma_modify_flags(m, *pprev, vma, start, end, newflags, &err);
  if (!vma) return err;
  *pprev = vma;
  vma->vm_flags = newflags;
  // change_protection: change_pte_range locks each page table of the range.
  m.env().count_lock(Lock::pte_lock, vma->vm_mm->ptes.tables_in(start, end));
  return 0;
}

}  // namespace

int do_mprotect(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Prot prot) {
  const std::uint32_t end = start + pages;
  m.env().count_lock(Lock::mmap_lock_write);
  vm_area_struct* vma = mm.find_vma(start);
  if (!vma || vma->vm_start > start) return -ENOMEM;  // unmapped start: nothing done
  vm_area_struct* prev = start > vma->vm_start ? vma : mm.vma_prev(vma);

  std::uint32_t nstart = start;
  std::uint32_t tmp = vma->vm_start;
  int error = 0;
  while (vma && vma->vm_start < end) {
    if (vma->vm_start != tmp) {  // a hole: earlier pieces stay changed
      error = -ENOMEM;
      break;
    }
    const std::uint32_t newflags = prot_to_vm_flags(prot) | (vma->vm_flags & ~VM_ACCESS_FLAGS);
    tmp = std::min(vma->vm_end, end);
    if ((error = mprotect_fixup(m, vma, &prev, nstart, tmp, newflags))) break;
    tmp = prev->vm_end;  // the VMA now covering the range may reach further
    nstart = tmp;
    vma = mm.find_vma(tmp);
  }
  if (!error && tmp < end) error = -ENOMEM;  // a hole at the end
  return error;
}

}  // namespace rmaplab::model
