// mmap(MAP_FIXED|MAP_ANONYMOUS) and munmap (6.18 mm/mmap.c do_mmap,
// mm/vma.c __mmap_region, do_vmi_munmap).
#include <cerrno>

#include "model/syscalls.h"
#include "model/vma_ops.h"

namespace rmaplab::model {

std::uint32_t prot_to_vm_flags(Prot prot) {
  switch (prot) {
    case Prot::none:
      return 0;
    case Prot::r:
      return VM_READ;
    case Prot::rx:
      return VM_READ | VM_EXEC;
    case Prot::rw:
      return VM_READ | VM_WRITE;
    case Prot::rwx:
      return VM_READ | VM_WRITE | VM_EXEC;
  }
  return 0;
}

int do_mmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Prot prot,
            bool shared) {
  const std::uint32_t end = start + pages;
  m.env().count_lock(Lock::mmap_lock_write);  // vm_mmap_pgoff
  std::uint32_t vm_flags = prot_to_vm_flags(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (shared) vm_flags |= VM_SHARED | VM_MAYSHARE;
  // Private anonymous pgoff is the virtual page number; shmem starts at 0.
  const std::uint64_t pgoff = shared ? 0 : kArenaPgoff + start;

  // MAP_FIXED replaces what is there: split the ends, detach the rest.
  vma_munmap_struct vms;
  vms.start = start;
  vms.end = end;
  if (int err = vms_gather_munmap_vmas(m, mm, vms)) return err;
  // A private writable mapping is charged to the commit limit.
  if (!shared && (vm_flags & VM_WRITE)) vm_flags |= VM_ACCOUNT;
  // The old VMAs' pages and anon_vma links go before the new range merges.
  vms_clear_ptes(m, mm, vms);

  vm_area_struct* vma = nullptr;
  if (vms.prev || vms.next) {
    vma_merge_struct vmg;
    vmg.mm = &mm;
    vmg.prev = vms.prev;
    vmg.next = vms.next;
    vmg.start = start;
    vmg.end = end;
    vmg.pgoff = pgoff;
    vmg.vm_flags = vm_flags;
    // An OOM here just means: no merge.
    vma = m.env().profile().mmap_merges_next_first ? mmap_region_expand(m, vmg)
                                                   : vma_merge_new_range(m, vmg);
  }
  if (!vma) {
    vma = m.env().alloc_vma();
    vma->vm_start = start;
    vma->vm_end = end;
    vma->vm_pgoff = pgoff;
    vma->vm_flags = vm_flags;
    if (shared) vma->shmem = m.shmem_create(pages);  // shmem_zero_setup
    mm.insert(vma);
    m.env().touch(vma);
    m.env().touch_pages(vma);
  }
  vms_complete_munmap_vmas(m, vms);
  return 0;
}

int do_munmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages) {
  // __vm_munmap: write, downgraded to read for the zap and unlink (not a
  // second acquisition).
  m.env().count_lock(Lock::mmap_lock_write);
  return do_vmi_munmap(m, mm, start, start + pages);
}

}  // namespace rmaplab::model
