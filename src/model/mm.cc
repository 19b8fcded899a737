// mm_struct bookkeeping: the VMA map and sparse page tables.
#include "model/mm.h"

#include <algorithm>
#include <cassert>

namespace rmaplab::model {

pte PageTable::get(std::uint32_t page) const {
  auto it = tables_.find(page / kEntries);
  if (it == tables_.end()) return {};
  return pte{it->second->e[page % kEntries]};
}

void PageTable::set(std::uint32_t page, folio* f) {
  auto& table = tables_[page / kEntries];
  if (!table) table = std::make_unique<Table>();
  folio*& slot = table->e[page % kEntries];
  if (!slot) ++table->present;
  slot = f;
}

void PageTable::clear(std::uint32_t page) {
  auto it = tables_.find(page / kEntries);
  if (it == tables_.end()) return;
  folio*& slot = it->second->e[page % kEntries];
  if (!slot) return;
  slot = nullptr;
  // Free empty tables eagerly: an exited or emptied range costs nothing.
  if (--it->second->present == 0) tables_.erase(it);
}

std::uint32_t PageTable::tables_in(std::uint32_t start, std::uint32_t end) const {
  if (start >= end || tables_.empty()) return 0;
  std::uint32_t n = 0;
  for (std::uint32_t t = start / kEntries; t <= (end - 1) / kEntries; ++t) n += tables_.count(t);
  return n;
}

vm_area_struct* mm_struct::vma_lookup(std::uint32_t page) const {
  vm_area_struct* v = prev_of(page + 1);
  return v && v->vm_end > page ? v : nullptr;
}

vm_area_struct* mm_struct::find_vma(std::uint32_t page) const {
  if (vm_area_struct* v = vma_lookup(page)) return v;
  auto it = vmas.upper_bound(page);
  return it == vmas.end() ? nullptr : it->second;
}

vm_area_struct* mm_struct::prev_of(std::uint32_t page) const {
  auto it = vmas.lower_bound(page);
  if (it == vmas.begin()) return nullptr;
  return std::prev(it)->second;
}

vm_area_struct* mm_struct::vma_prev(const vm_area_struct* vma) const {
  auto it = vmas.find(vma->vm_start);
  assert(it != vmas.end() && it->second == vma);
  return it == vmas.begin() ? nullptr : std::prev(it)->second;
}

vm_area_struct* mm_struct::vma_next(const vm_area_struct* vma) const {
  auto it = vmas.find(vma->vm_start);
  assert(it != vmas.end() && it->second == vma);
  ++it;
  return it == vmas.end() ? nullptr : it->second;
}

void mm_struct::insert(vm_area_struct* vma) {
  [[maybe_unused]] auto [it, inserted] = vmas.emplace(vma->vm_start, vma);
  assert(inserted && "two VMAs start at the same page");
  vma->vm_mm = this;
}

void mm_struct::erase(vm_area_struct* vma) {
  auto it = vmas.find(vma->vm_start);
  assert(it != vmas.end() && it->second == vma);
  vmas.erase(it);
}

void mm_struct::rekey(vm_area_struct* vma, std::uint32_t old_start) {
  if (old_start == vma->vm_start) return;
  auto it = vmas.find(old_start);
  assert(it != vmas.end() && it->second == vma);
  auto node = vmas.extract(it);
  node.key() = vma->vm_start;
  [[maybe_unused]] auto res = vmas.insert(std::move(node));
  assert(res.inserted && "rekeyed VMA collides with another");
}

}  // namespace rmaplab::model
