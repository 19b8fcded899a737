// The read-only view of a run's state (rmaplab/state.h): the model's
// objects read into plain values.
#include "rmaplab/state.h"

#include <algorithm>

#include "model/design/cow_context.h"
#include "model/machine.h"
#include "run/model_of.h"

namespace rmaplab {
namespace {

VmaView view_of(const model::vm_area_struct& v) {
  VmaView out;
  out.faulted = v.anon_vma != nullptr;
  out.id = v.id;
  out.start = v.vm_start;
  out.end = v.vm_end;
  out.prot = v.maps_prot();
  out.pgoff = v.vm_pgoff;
  out.shmem = v.shmem;
  out.anon_vma = v.anon_vma ? v.anon_vma->id() : 0;  // cow-context's sentinel: 0
  v.for_each_avc(
      [&](const model::anon_vma_chain& avc) { out.chain.push_back(avc.anon_vma->id()); });
  return out;
}

PageView view_of(const model::Machine& m, std::uint32_t page, const model::folio* f) {
  PageView p;
  p.page = page;
  if (model::is_zero_page(f)) {
    p.zero_page = true;
    return p;
  }
  p.folio = f->id;
  p.shmem = !f->is_anon();
  p.index = f->index;
  p.mapcount = f->mapcount;
  p.exclusive = f->anon_exclusive;
  if (f->is_anon() && f->mapping) {
    p.anon_vma = f->mapping_id;
    p.anon_vma_freed = !m.env().is_live(f->mapping, f->mapping_id);
  }
  if (f->cow_context) p.cow_context = f->cow_context->id;
  return p;
}

}  // namespace

std::string_view State::profile() const { return machine_of(sim_).env().profile().name; }

int State::line() const {
  const std::size_t n = sim_.next_op();
  return n ? script().ops[n - 1].line : 0;
}

bool State::alive(int slot) const { return machine_of(sim_).process(slot) != nullptr; }

std::vector<int> State::processes() const {
  std::vector<int> out;
  for (const auto& mm : machine_of(sim_).processes())
    if (mm && mm->alive) out.push_back(mm->slot);
  return out;
}

std::vector<VmaView> State::vmas(int slot) const {
  std::vector<VmaView> out;
  if (const model::mm_struct* mm = machine_of(sim_).process(slot))
    mm->for_each_vma([&](const model::vm_area_struct& v) { out.push_back(view_of(v)); });
  return out;
}

std::optional<VmaView> State::vma_at(int slot, std::uint32_t page) const {
  const model::mm_struct* mm = machine_of(sim_).process(slot);
  if (!mm) return std::nullopt;
  const model::vm_area_struct* v = mm->vma_lookup(page);
  if (!v) return std::nullopt;
  return view_of(*v);
}

std::vector<PageView> State::pages(int slot, std::uint32_t start, std::uint32_t end) const {
  std::vector<PageView> out;
  const model::Machine& m = machine_of(sim_);
  if (const model::mm_struct* mm = m.process(slot))
    mm->ptes.for_each_present(start, end, [&](std::uint32_t page, const model::folio* f) {
      out.push_back(view_of(m, page, f));
    });
  return out;
}

std::vector<AnonVmaView> State::anon_vmas() const {
  std::vector<AnonVmaView> out;
  for (const model::anon_vma* av : machine_of(sim_).env().anon_vmas())
    out.push_back({av->id(), av->root()->id(), av->parent()->id(), av->refcount(),
                   av->num_children(), av->num_active_vmas()});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<TreeMemberView> State::tree(std::uint32_t id) const {
  std::vector<TreeMemberView> out;
  for (const model::anon_vma* av : machine_of(sim_).env().anon_vmas()) {
    if (av->id() != id) continue;
    for (const model::anon_vma_chain* avc = av->rb_root.first(); avc; avc = av->rb_root.next(*avc))
      out.push_back(
          {avc->vma->vm_mm->slot, avc->vma->vm_start, avc->vma->vm_end, avc->vma->vm_pgoff});
    break;
  }
  return out;
}

LiveCounts State::live() const {
  const model::Env& env = machine_of(sim_).env();
  return {env.live_anon_vmas(), env.live_avcs(), env.live_vmas(), env.live_folios()};
}

const char* State::access_fault(int slot, std::uint32_t page, bool write) const {
  const model::mm_struct* mm = machine_of(sim_).process(slot);
  if (!mm) return "in a process that does not exist";
  return model::access_fault(*mm, machine_of(sim_), page, write);
}

std::optional<std::vector<RmapCandidate>> State::rmap_walk(int slot, std::uint32_t page) const {
  const model::Machine& m = machine_of(sim_);
  const model::mm_struct* mm = m.process(slot);
  if (!mm) return std::nullopt;
  const model::folio* f = mm->ptes.get(page).page;
  if (!f || model::is_zero_page(f) || !f->is_anon() || !m.rmap().owner_live(m.env(), *f))
    return std::nullopt;
  std::vector<RmapCandidate> out;
  for (const model::RmapHit& hit : m.rmap().walk(*f)) {
    RmapCandidate c;
    const model::mm_struct& there = *hit.vma->vm_mm;
    c.slot = there.slot;
    c.vma_start = hit.vma->vm_start;
    c.vma_end = hit.vma->vm_end;
    c.page = hit.page;
    c.maps = hit.maps;
    c.page_table = there.ptes.tables_in(hit.page, hit.page + 1) != 0;
    if (!hit.maps)
      if (const model::folio* other = there.ptes.get(hit.page).page)
        c.there = view_of(m, hit.page, other);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace rmaplab
