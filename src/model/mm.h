// struct mm_struct: one process's address space (the arena part of it).
//
// VMAs are kept in an ordered map keyed by vm_start (the maple tree's role):
// lookup, neighbours and range iteration are O(log n). Page tables are
// sparse: 512-entry tables (one x86-64 PTE page) allocated on first use, so a
// process that touches a few pages anywhere in the 2^24-page arena pays for
// a few tables, as the kernel does.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "model/folio.h"
#include "model/vma.h"

namespace rmaplab::model {

class PageTable {
 public:
  static constexpr std::uint32_t kEntries = 512;

  pte get(std::uint32_t page) const;
  void set(std::uint32_t page, folio* f);
  void clear(std::uint32_t page);
  bool empty() const { return tables_.empty(); }
  // How many page tables (512-page blocks holding a present entry) [start,
  // end) overlaps: the PTE locks a walk of the range takes.
  std::uint32_t tables_in(std::uint32_t start, std::uint32_t end) const;
  // Visits present entries in [start, end) in address order: f(page, folio*).
  // f must not change the page table.
  template <class F>
  void for_each_present(std::uint32_t start, std::uint32_t end, F&& f) const;
  // Clears the present entries in [start, end), handing each to f(page, folio*)
  // in address order (zap_pte_range).
  template <class F>
  void take_range(std::uint32_t start, std::uint32_t end, F&& f);

 private:
  struct Table {
    std::array<folio*, kEntries> e{};
    std::uint32_t present = 0;
  };
  std::unordered_map<std::uint32_t, std::unique_ptr<Table>> tables_;
};

struct mm_struct {
  using VmaMap = std::map<std::uint32_t, vm_area_struct*>;  // vm_start -> vma

  int slot = -1;  // the script's process slot
  bool alive = true;
  struct cow_context* cow_context = nullptr;  // the cow-context design's, else null
  VmaMap vmas;
  PageTable ptes;

  // The VMA containing `page`, or null (the kernel's vma_lookup).
  vm_area_struct* vma_lookup(std::uint32_t page) const;
  // The first VMA ending above `page`, or null (find_vma).
  vm_area_struct* find_vma(std::uint32_t page) const;
  // The last VMA starting below `page`, or null.
  vm_area_struct* prev_of(std::uint32_t page) const;
  vm_area_struct* vma_prev(const vm_area_struct* vma) const;
  vm_area_struct* vma_next(const vm_area_struct* vma) const;

  void insert(vm_area_struct* vma);  // must not overlap
  void erase(vm_area_struct* vma);   // removes from the map only
  // Re-files `vma` after its vm_start changed from `old_start`. The caller
  // moves the VMA's AVCs out of their trees around the change (vma_ops.cc).
  void rekey(vm_area_struct* vma, std::uint32_t old_start);

  std::size_t map_count() const { return vmas.size(); }

  template <class F>
  void for_each_vma(F&& f) const {
    for (auto& [start, vma] : vmas) f(*vma);
  }
};

// --- template definitions ---

template <class F>
void PageTable::for_each_present(std::uint32_t start, std::uint32_t end, F&& f) const {
  if (start >= end || tables_.empty()) return;
  for (std::uint32_t t = start / kEntries; t <= (end - 1) / kEntries; ++t) {
    auto it = tables_.find(t);
    if (it == tables_.end()) continue;
    const Table& table = *it->second;
    const std::uint32_t lo = std::max(start, t * kEntries) - t * kEntries;
    const std::uint32_t hi = std::min(end, (t + 1) * kEntries) - t * kEntries;
    for (std::uint32_t i = lo; i < hi; ++i)
      if (table.e[i]) f(t * kEntries + i, static_cast<const folio*>(table.e[i]));
  }
}

template <class F>
void PageTable::take_range(std::uint32_t start, std::uint32_t end, F&& f) {
  if (start >= end || tables_.empty()) return;
  for (std::uint32_t t = start / kEntries; t <= (end - 1) / kEntries; ++t) {
    auto it = tables_.find(t);
    if (it == tables_.end()) continue;
    Table& table = *it->second;
    const std::uint32_t lo = std::max(start, t * kEntries) - t * kEntries;
    const std::uint32_t hi = std::min(end, (t + 1) * kEntries) - t * kEntries;
    for (std::uint32_t i = lo; i < hi && table.present; ++i) {
      if (folio* page = table.e[i]) {
        table.e[i] = nullptr;
        --table.present;
        f(t * kEntries + i, page);
      }
    }
    if (table.present == 0) tables_.erase(it);  // free empty tables eagerly
  }
}

}  // namespace rmaplab::model
