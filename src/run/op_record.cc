// OpRecords from the model's Env and Machine (op_record.h).
#include "run/op_record.h"

#include <algorithm>
#include <unordered_set>

#include "model/machine.h"

namespace rmaplab::run_internal {

OpWatch::OpWatch(const model::Env& env)
    : env_(env),
      first_event_(env.events().size()),
      first_reuse_(env.reuse_decisions().size()),
      locks_(env.lock_counts()),
      sites_(env.site_counts()) {}

void OpWatch::finish(OpRecord& rec, std::vector<CallSite>& site_order) const {
  const auto& events = env_.events();
  rec.events.assign(events.begin() + static_cast<std::ptrdiff_t>(first_event_), events.end());
  // Counts come from the per-site tallies, which are kept even when events
  // are not.
  const auto& sites = env_.site_counts();
  auto unseen = [&](CallSite s) {
    return sites_[static_cast<int>(s)].empty() &&
           std::find(site_order.begin(), site_order.end(), s) == site_order.end();
  };
  // A call site's first appearance, in event order where events are kept.
  for (const Event& e : rec.events)
    if (unseen(e.site)) site_order.push_back(e.site);
  for (CallSite s : kAllCallSites) {
    const Counts during = sites[static_cast<int>(s)] - sites_[static_cast<int>(s)];
    rec.counts += during;
    if (!during.empty() && unseen(s)) site_order.push_back(s);
  }
  const auto& reuse = env_.reuse_decisions();
  rec.fork_reuse.clear();
  for (std::size_t i = first_reuse_; i < reuse.size(); ++i)
    rec.fork_reuse.push_back({reuse[i].anon_vma, reuse[i].vma_start, reuse[i].seen, reuse[i].reused});
  rec.live_anon_vma = env_.live_anon_vmas();
  rec.live_avc = env_.live_avcs();
  rec.locks = env_.lock_counts() - locks_;
}

namespace {

VmaRecord vma_record(const model::vm_area_struct& v) {
  return {v.vm_start,
          v.vm_end,
          v.maps_prot(),
          v.vm_pgoff,
          v.anon_vma ? v.anon_vma->id() : 0,
          static_cast<std::uint32_t>(v.anon_vma_chain.size())};
}

// The VMAs of `mm` meeting [lo, hi), in address order (all of them for the
// whole range).
void add_vmas(ProcessRecord& p, const model::mm_struct& mm, std::uint64_t lo, std::uint64_t hi,
              bool pages) {
  const model::vm_area_struct* v = mm.find_vma(static_cast<std::uint32_t>(lo));
  for (; v && v->vm_start < hi; v = mm.vma_next(v)) {
    if (!p.vmas.empty() && p.vmas.back().start == v->vm_start) continue;  // two windows met
    p.vmas.push_back(vma_record(*v));
    if (!pages) continue;
    mm.ptes.for_each_present(
        v->vm_start, v->vm_end, [&](std::uint32_t page, const model::folio* f) {
          const bool zero = model::is_zero_page(f);
          p.pages.push_back({page, zero ? 0 : f->id, zero, !f->is_anon(), zero ? 0 : f->mapcount});
        });
  }
}

struct Window {
  std::uint64_t lo, hi;
};

// The pages `op` could have changed, with a page either side for merges.
std::vector<Window> windows_of(const Op& op) {
  auto around = [](std::uint64_t a, std::uint64_t n) { return Window{a ? a - 1 : 0, a + n + 1}; };
  switch (op.verb) {
    case Verb::mmap:
    case Verb::munmap:
    case Verb::mprotect:
    case Verb::madvise:
    case Verb::read:
    case Verb::write:
      return {around(op.a, op.n)};
    case Verb::mremap:
      if (op.b == op.a) return {around(op.a, std::max(op.n, op.m))};
      return op.b < op.a ? std::vector<Window>{around(op.b, op.m), around(op.a, op.n)}
                         : std::vector<Window>{around(op.a, op.n), around(op.b, op.m)};
    case Verb::spawn:
    case Verb::fork:
    case Verb::exit:
      break;
  }
  return {{0, UINT64_MAX}};
}

}  // namespace

void fill_layout(OpRecord& rec, const model::Machine& m, const Script& script, const Op& op,
                 const RunOptions& options) {
  if (options.layouts == Layouts::none) return;
  auto add_process = [&](const model::mm_struct& mm, const std::vector<Window>& windows) {
    ProcessRecord p;
    p.name = script.procs[mm.slot];
    p.slot = mm.slot;
    for (const Window& w : windows) add_vmas(p, mm, w.lo, w.hi, options.pages);
    rec.layout.push_back(std::move(p));
  };
  if (options.layouts == Layouts::all) {
    for (const auto& mm : m.processes())
      if (mm) add_process(*mm, {{0, UINT64_MAX}});
    return;
  }
  const std::vector<Window> windows = windows_of(op);
  const int slots[2] = {op.proc, op.verb == Verb::fork ? op.child : -1};
  for (int slot : slots)
    if (slot >= 0)
      if (const model::mm_struct* mm = m.process(slot)) add_process(*mm, windows);
}

// A folio whose anon_vma was freed (a use-after-free only a broken rule set
// produces) has no walk to measure.
Metrics metrics_of(const model::Machine& m) {
  Metrics out;
  std::size_t faulted = 0, avcs = 0;
  std::unordered_set<const model::folio*> walked;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    mm->for_each_vma([&](const model::vm_area_struct& v) {
      const auto chain = static_cast<std::uint32_t>(v.anon_vma_chain.size());
      out.max_chain = std::max(out.max_chain, chain);
      if (v.anon_vma) ++faulted;
      avcs += chain;
      mm->ptes.for_each_present(v.vm_start, v.vm_end, [&](std::uint32_t, const model::folio* f) {
        if (model::is_zero_page(f) || !f->is_anon() || !walked.insert(f).second) return;
        if (!m.rmap().owner_live(m.env(), *f)) return;
        const auto walk = static_cast<std::uint32_t>(m.rmap().walk(*f).size());
        out.max_walk = std::max(out.max_walk, walk);
      });
    });
  }
  out.avc_per_vma = faulted ? static_cast<double>(avcs) / static_cast<double>(faulted) : 0;
  return out;
}

}  // namespace rmaplab::run_internal
