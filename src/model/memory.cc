// Page faults on anonymous and shared anonymous memory (6.18 mm/memory.c:
// do_anonymous_page, do_wp_page, wp_page_copy, wp_can_reuse_anon_folio;
// shmem faults reduced to "map the object's page").
//
// The COW reuse rule is 6.18's for small folios with every process on one
// CPU (field guide §4.1): reuse iff the faulting PTE is the folio's only
// reference, which in the model is mapcount == 1.
#include <algorithm>
#include <cerrno>

#include "model/machine.h"
#include "model/rule.h"
#include "model/syscalls.h"

namespace rmaplab::model {
namespace {

// finish_fault: the PTE lock, to install the page-cache page.
void map_shmem_page(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page) {
  m.env().count_lock(Lock::pte_lock);
  folio* f = m.shmem_folio(vma->shmem, vma->pgoff_of(page));
  ++f->mapcount;
  mm.ptes.set(page, f);
  m.env().touch(f);
  m.env().touch_pages(mm.slot, page, page + 1);
}

// vmf_anon_prepare: the design's (the anon_vma design takes the mmap_lock
// for read around __anon_vma_prepare).
int vmf_anon_prepare(Machine& m, vm_area_struct* vma) {
  if (vma->anon_vma) return 0;
  return m.rmap().prepare(m.env(), vma);
}

// A new exclusive anonymous folio for `page`, replacing what the PTE held
// (do_anonymous_page, wp_page_copy): the PTE lock is taken to install it.
int map_new_anon_folio(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page) {
  if (int err = vmf_anon_prepare(m, vma)) return err;
  m.env().count_lock(Lock::pte_lock);
  folio* f = m.env().alloc_folio();
  m.rmap().folio_new(m.env(), f, vma, page);  // folio_add_new_anon_rmap
  f->mapcount = 1;
  folio* old = mm.ptes.get(page).page;
  mm.ptes.set(page, f);
  m.env().touch(f);
  m.env().touch_pages(mm.slot, page, page + 1);
  // The old folio loses this mapping only after the PTE points elsewhere.
  if (old) m.put_folio(old);
  return 0;
}

// do_fault_around: a read fault on shared memory also maps the pages of the
// surrounding 16-page block (fault_around_bytes, 64 KiB) that are already in
// the object's page cache, clamped to the VMA and to its page table.
void shmem_fault_around(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page) {
  constexpr std::uint32_t kFaultAroundPages = 16;
  constexpr std::uint32_t kPtrsPerPte = 512;  // the arena base is 2 MiB aligned
  const std::uint32_t pte_off = page % kPtrsPerPte;
  const std::uint32_t vma_off = page - vma->vm_start;
  const std::uint32_t from = std::max(pte_off / kFaultAroundPages * kFaultAroundPages,
                                      pte_off - std::min(pte_off, vma_off));
  const std::uint32_t to =
      std::min({from + kFaultAroundPages, kPtrsPerPte, pte_off + (vma->pages() - vma_off)});
  // filemap_map_pages takes the PTE lock once it finds a page in the cache.
  bool locked = false;
  for (std::uint32_t i = from; i < to; ++i) {
    const std::uint32_t p = page - pte_off + i;
    folio* f = m.shmem_find(vma->shmem, vma->pgoff_of(p));
    if (f && !locked) {
      m.env().count_lock(Lock::pte_lock);
      locked = true;
    }
    if (f && !mm.ptes.get(p).present()) {
      ++f->mapcount;
      mm.ptes.set(p, f);
      m.env().touch(f);
      m.env().touch_pages(mm.slot, p, p + 1);
    }
  }
}

// wp_can_reuse_anon_folio: the faulting PTE holds the folio's only
// reference (small folio, no swap cache, no KSM; the model's references are
// its mappings), so the writer may have it instead of a copy.
bool wp_can_reuse_anon_folio(const folio& f) { return f.mapcount == 1; }

// do_wp_page on a write-protected private PTE: copy the zero page or a
// shared folio (wp_page_copy), or reuse the folio nobody else maps, which
// then belongs to the writer's anon_vma (folio_move_anon_rmap, wp_page_reuse).
int do_wp_page(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page, folio* f) {
  if (is_zero_page(f)) return map_new_anon_folio(m, mm, vma, page);  // wp_page_copy
  if (wp_can_reuse_anon_folio(*f)) {
    m.rmap().folio_reuse(m.env(), f, vma);  // folio_move_anon_rmap
    f->anon_exclusive = true;
    m.env().touch(f);
    m.env().touch_pages(mm.slot, page, page + 1);
    m.env().cover(Path::cow_reuse);
    return 0;
  }
  m.env().cover(Path::cow_copy);
  return map_new_anon_folio(m, mm, vma, page);  // wp_page_copy
}

}  // namespace

int handle_read_fault(Machine& m, mm_struct& mm, std::uint32_t page) {
  vm_area_struct* vma = mm.vma_lookup(page);
  // Machine::apply turns an access the VMA does not allow into a fault
  // result before it gets here.
  MODEL_RULE(vma && (vma->vm_flags & VM_READ), "fault without VMA permission",
             "A read fault at page {} of process {} finds {}.", page, mm.slot,
             vma ? "a VMA without VM_READ" : "no VMA");
  if (mm.ptes.get(page).present()) return 0;
  if (vma->shmem) {
    shmem_fault_around(m, mm, vma, page);
    if (!mm.ptes.get(page).present()) map_shmem_page(m, mm, vma, page);
    return 0;
  }
  // A read of never-written private memory maps the shared zero page: no
  // folio, no anon_vma; the PTE lock to install it.
  m.env().count_lock(Lock::pte_lock);
  mm.ptes.set(page, zero_page());
  m.env().touch_pages(mm.slot, page, page + 1);
  return 0;
}

int handle_write_fault(Machine& m, mm_struct& mm, std::uint32_t page) {
  vm_area_struct* vma = mm.vma_lookup(page);
  MODEL_RULE(vma && (vma->vm_flags & VM_WRITE), "fault without VMA permission",
             "A write fault at page {} of process {} finds {}.", page, mm.slot,
             vma ? "a VMA without VM_WRITE" : "no VMA");
  folio* f = mm.ptes.get(page).page;
  if (vma->shmem) {
    if (!f) map_shmem_page(m, mm, vma, page);
    return 0;
  }
  if (!f) return map_new_anon_folio(m, mm, vma, page);  // do_anonymous_page
  if (f->anon_exclusive) return 0;  // ours alone already, and writable: no fault
  // A write-protected PTE: handle_pte_fault takes the PTE lock for do_wp_page.
  m.env().count_lock(Lock::pte_lock);
  return do_wp_page(m, mm, vma, page, f);
}

}  // namespace rmaplab::model
