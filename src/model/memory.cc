// Page faults on anonymous and shared anonymous memory (6.18 mm/memory.c:
// do_anonymous_page, do_wp_page, wp_page_copy, wp_can_reuse_anon_folio;
// shmem faults reduced to "map the object's page").
//
// The COW reuse rule is 6.18's for small folios with every process on one
// CPU (field guide §4.1): reuse iff the faulting PTE is the folio's only
// reference, which in the model is mapcount == 1.
#include <algorithm>
#include <cassert>
#include <cerrno>

#include "model/rmap.h"
#include "model/syscalls.h"

namespace rmaplab::model {
namespace {

void map_shmem_page(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page) {
  folio* f = m.shmem_folio(vma->shmem, vma->pgoff_of(page));
  ++f->mapcount;
  mm.ptes.set(page, f);
}

// A new exclusive anonymous folio for `page`, replacing what the PTE held.
int map_new_anon_folio(Machine& m, mm_struct& mm, vm_area_struct* vma, std::uint32_t page) {
  if (int err = anon_vma_prepare(m.env(), vma)) return err;
  folio* f = m.env().alloc_folio();
  folio_add_new_anon_rmap(f, vma, page);
  f->mapcount = 1;
  folio* old = mm.ptes.get(page).page;
  mm.ptes.set(page, f);
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
  const std::uint32_t from =
      std::max(pte_off / kFaultAroundPages * kFaultAroundPages, pte_off - std::min(pte_off, vma_off));
  const std::uint32_t to =
      std::min({from + kFaultAroundPages, kPtrsPerPte, pte_off + (vma->pages() - vma_off)});
  for (std::uint32_t i = from; i < to; ++i) {
    const std::uint32_t p = page - pte_off + i;
    if (mm.ptes.get(p).present()) continue;
    if (folio* f = m.shmem_find(vma->shmem, vma->pgoff_of(p))) {
      ++f->mapcount;
      mm.ptes.set(p, f);
    }
  }
}

}  // namespace

int handle_read_fault(Machine& m, mm_struct& mm, std::uint32_t page) {
  vm_area_struct* vma = mm.vma_lookup(page);
  assert(vma && (vma->vm_flags & VM_READ));
  if (mm.ptes.get(page).present()) return 0;
  if (vma->shmem) {
    shmem_fault_around(m, mm, vma, page);
    if (!mm.ptes.get(page).present()) map_shmem_page(m, mm, vma, page);
    return 0;
  }
  // A read of never-written private memory maps the shared zero page: no
  // folio, no anon_vma.
  mm.ptes.set(page, zero_page());
  return 0;
}

int handle_write_fault(Machine& m, mm_struct& mm, std::uint32_t page) {
  vm_area_struct* vma = mm.vma_lookup(page);
  assert(vma && (vma->vm_flags & VM_WRITE));
  folio* f = mm.ptes.get(page).page;
  if (vma->shmem) {
    if (!f) map_shmem_page(m, mm, vma, page);
    return 0;
  }
  if (!f || is_zero_page(f)) return map_new_anon_folio(m, mm, vma, page);
  if (f->anon_exclusive) return 0;  // ours alone already: write in place
  if (f->mapcount == 1) {
    // do_wp_page reuse: nobody else maps it; it now belongs to our anon_vma.
    folio_move_anon_rmap(f, vma);
    f->anon_exclusive = true;
    m.env().cover(Path::cow_reuse);
    return 0;
  }
  m.env().cover(Path::cow_copy);
  return map_new_anon_folio(m, mm, vma, page);  // wp_page_copy
}

}  // namespace rmaplab::model
