// mm_struct bookkeeping: the VMA map and sparse page tables.
#include "model/mm.h"

#include <algorithm>

#include "model/rule.h"

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

namespace {

// Where `vma` sits in the map: it must be there, under its own vm_start.
mm_struct::VmaMap::const_iterator find_own(const mm_struct& mm, const vm_area_struct* vma,
                                           std::uint32_t start) {
  auto it = mm.vmas.find(start);
  MODEL_RULE(it != mm.vmas.end() && it->second == vma, "VMA missing from its mm",
             "VMA #{} is not in process {}'s VMA tree at page {}.", vma->id, mm.slot, start);
  return it;
}

}  // namespace

vm_area_struct* mm_struct::vma_prev(const vm_area_struct* vma) const {
  auto it = find_own(*this, vma, vma->vm_start);
  return it == vmas.begin() ? nullptr : std::prev(it)->second;
}

vm_area_struct* mm_struct::vma_next(const vm_area_struct* vma) const {
  auto it = find_own(*this, vma, vma->vm_start);
  ++it;
  return it == vmas.end() ? nullptr : it->second;
}

void mm_struct::insert(vm_area_struct* vma) {
  auto [it, inserted] = vmas.emplace(vma->vm_start, vma);
  MODEL_RULE(inserted, "two VMAs start at the same page",
             "VMA #{} is inserted at page {} of process {}, where VMA #{} already starts.", vma->id,
             vma->vm_start, slot, it->second->id);
  vma->vm_mm = this;
}

void mm_struct::erase(vm_area_struct* vma) { vmas.erase(find_own(*this, vma, vma->vm_start)); }

void mm_struct::rekey(vm_area_struct* vma, std::uint32_t old_start) {
  if (old_start == vma->vm_start) return;
  auto node = vmas.extract(find_own(*this, vma, old_start));
  node.key() = vma->vm_start;
  auto res = vmas.insert(std::move(node));
  MODEL_RULE(res.inserted, "two VMAs start at the same page",
             "VMA #{} moves to page {} of process {}, where VMA #{} already starts.", vma->id,
             vma->vm_start, slot, res.position->second->id);
}

}  // namespace rmaplab::model
