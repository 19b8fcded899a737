// fork and exit of an address space (6.18 kernel/fork.c / mm/mmap.c
// dup_mmap, copy_page_range's anonymous part, exit_mmap).
#include <cerrno>

#include "model/machine.h"
#include "model/syscalls.h"
#include "model/vma_ops.h"

namespace rmaplab::model {
namespace {

// copy_page_range for a VMA with an anon_vma: share every page into the
// child. Shared pages lose PG_anon_exclusive in both, so the first write on
// either side goes through do_wp_page.
void copy_page_range(Env& env, mm_struct& dst, const vm_area_struct& src_vma, mm_struct& src) {
  // copy_pte_range: the child's new table and the parent's, per table.
  env.count_lock(Lock::pte_lock, 2 * src.ptes.tables_in(src_vma.vm_start, src_vma.vm_end));
  env.touch_pages(dst.slot, src_vma.vm_start, src_vma.vm_end);
  src.ptes.for_each_present(src_vma.vm_start, src_vma.vm_end,
                            [&](std::uint32_t page, const folio* cf) {
                              folio* f = const_cast<folio*>(cf);
                              if (!is_zero_page(f)) {
                                env.touch(f);
                                ++f->mapcount;
                                f->anon_exclusive = false;
                              }
                              dst.ptes.set(page, f);
                            });
}

}  // namespace

int dup_mmap(Machine& m, mm_struct& parent, mm_struct& child) {
  // The parent's mmap_lock, then the child's, both for write.
  m.env().count_lock(Lock::mmap_lock_write, 2);
  // Parent VMAs in address order; each is finished before the next starts.
  for (auto& [start, pvma] : parent.vmas) {
    if (pvma->vm_flags & VM_DONTCOPY) continue;  // absent in the child
    vm_area_struct* tmp = vm_area_dup(m, pvma);
    // A VM_WIPEONFORK copy starts unfaulted: no anon_vma, no pages.
    if (!(pvma->vm_flags & VM_WIPEONFORK)) {
      if (int err = m.rmap().fork(m.env(), tmp, pvma)) {  // anon_vma_fork
        remove_vma(m, tmp);
        exit_mmap(m, child);  // the half-built child is torn down
        m.env().cover(Path::fork_failed);
        return err;
      }
    }
    child.insert(tmp);
    m.env().touch(tmp);
    // Only VMAs with an anon_vma have pages worth copying; the child
    // refaults shared memory and zero pages of unfaulted VMAs.
    if (!(pvma->vm_flags & VM_WIPEONFORK) && pvma->anon_vma)
      copy_page_range(m.env(), child, *pvma, parent);
  }
  m.rmap().fork_mm(m.env(), child, parent);
  return 0;
}

void exit_mmap(Machine& m, mm_struct& mm) {
  // Read for unmap_vmas, then write for free_pgtables and the VMAs.
  m.env().count_lock(Lock::mmap_lock_read);
  m.env().count_lock(Lock::mmap_lock_write);
  for (auto& [start, vma] : mm.vmas) zap_page_range(m, mm, vma->vm_start, vma->vm_end);
  // free_pgtables: unlink_anon_vmas per VMA, in address order.
  for (auto& [start, vma] : mm.vmas) m.rmap().unlink(m.env(), vma);
  for (auto& [start, vma] : mm.vmas) remove_vma(m, vma);
  mm.vmas.clear();
}

}  // namespace rmaplab::model
