// Folios and page-table entries (include/linux/mm_types.h, mm/memory.c in
// 6.18), order-0 only: without MADV_HUGEPAGE, which the workload language
// does not have, anonymous memory on our machines uses only small folios
// (field guide §0.1).
#pragma once

#include <cstdint>

namespace rmaplab::model {

struct anon_vma;
struct cow_context;
struct mm_struct;

struct folio {
  // Anonymous folios: the anon_vma the folio was created (or last reused)
  // under. Kept when the folio is unmapped, like the kernel's ->mapping.
  anon_vma* mapping = nullptr;
  // The id of that anon_vma when it was stored, so the checker can tell a
  // live mapping from one whose anon_vma was freed and its memory reused.
  std::uint32_t mapping_id = 0;
  // The cow-context design: the context of the mm that created the folio
  // (or last reused it); holds a reference. Null in the anon_vma design.
  struct cow_context* cow_context = nullptr;
  // The anon-vma-lazy design, before the folio's VMA has an anon_vma of its
  // own: the mm of the VMA it was created in (the "lazy root VMA") and that
  // VMA's offset (vm_start's virtual page - vm_pgoff), which split, merge
  // and munmap keep; null once it points at an anon_vma (mapping).
  const struct mm_struct* lazy_mm = nullptr;
  std::int64_t lazy_off = 0;
  std::uint32_t shmem = 0;     // shared memory: the shmem object; 0 if anonymous
  std::uint64_t index = 0;     // page offset: linear in every VMA that maps it
  std::uint32_t mapcount = 0;  // PTEs mapping it (the only references modelled)
  std::uint32_t id = 0;
  bool anon_exclusive = false;  // PG_anon_exclusive of its one page

  bool is_anon() const { return shmem == 0; }
};

// A present page-table entry names a folio, or the shared zero page.
// (Write permission is not modelled: whether a write fault copies or reuses
// depends only on the folio, see do_wp_page in memory.cc.)
struct pte {
  folio* page = nullptr;
  bool present() const { return page != nullptr; }
};

// The zero page: one object shared by every read-faulted PTE.
folio* zero_page();
inline bool is_zero_page(const folio* f) { return f == zero_page(); }

}  // namespace rmaplab::model
