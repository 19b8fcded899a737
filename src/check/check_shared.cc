// The rules every anonymous-rmap design keeps (check.h, S1-S3). The
// anon_vma design's checker
// (check.cc) states the same three facts in its own terms (I10, I12, B2)
// and is not run through here: its incremental form (check_touched) is what
// keeps long runs linear.
//
// Cost: one pass over every present PTE and one walk per mapped folio, each
// checked against the set of its mappings: the full check, after every
// operation, for designs without an incremental checker.
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "check/check.h"
#include "check/check_design.h"
#include "model/machine.h"

namespace rmaplab {
namespace {

using model::folio;
using model::mm_struct;
using model::vm_area_struct;

struct Mapping {
  const mm_struct* mm;
  std::uint32_t page;
  bool operator==(const Mapping&) const = default;
};

std::string proc_name(const std::vector<std::string>& names, const mm_struct* mm) {
  if (mm && mm->slot >= 0 && static_cast<std::size_t>(mm->slot) < names.size())
    return names[mm->slot];
  return fmt::format("process#{}", mm ? mm->slot : -1);
}

}  // namespace

std::optional<Finding> check_shared_rules(const model::Machine& m,
                                          const std::vector<std::string>& names) {
  const model::Env& env = m.env();
  const model::AnonRmap& rmap = m.rmap();
  if (env.rwsems_held())
    return Finding{"L1 locks_released",
                   fmt::format("{} anon_vma root rwsem(s) still held after the operation",
                               env.rwsems_held())};
  // S3: nothing is left once every process has exited.
  if (m.live_processes() == 0) {
    auto leak = [](std::uint64_t n, std::string_view what) {
      return Finding{"S3 leak", fmt::format("every process has exited, but {} {}{} still allocated",
                                            n, what, n == 1 ? " is" : "s are")};
    };
    if (env.live_anon_vmas()) return leak(env.live_anon_vmas(), "anon_vma");
    if (env.live_avcs()) return leak(env.live_avcs(), "anon_vma_chain");
    for (const model::DesignObjects& o : rmap.objects())
      if (o.live()) return leak(o.live(), o.kind);
    if (env.live_vmas()) return leak(env.live_vmas(), "vm_area_struct");
    if (env.live_folios()) return leak(env.live_folios(), "folio");
  }
  // Every (process, page) mapping each anonymous folio, in address order.
  std::unordered_map<const folio*, std::vector<Mapping>> mapped;
  std::vector<const folio*> order;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    for (const auto& [start, v] : mm->vmas) {
      if (!v->is_anonymous()) continue;
      mm->ptes.for_each_present(v->vm_start, v->vm_end, [&](std::uint32_t page, const folio* f) {
        if (model::is_zero_page(f) || !f->is_anon()) return;
        auto [it, fresh] = mapped.try_emplace(f);
        if (fresh) order.push_back(f);
        it->second.push_back({mm.get(), page});
      });
    }
  }
  for (const folio* f : order) {
    const std::vector<Mapping>& maps = mapped.at(f);
    const Mapping& first = maps.front();
    if (f->mapcount != maps.size())
      return Finding{"B2 mapcount",
                     fmt::format("folio #{} has mapcount {}, but {} PTE(s) map it (first: {} page {})",
                                 f->id, f->mapcount, maps.size(), proc_name(names, first.mm),
                                 first.page)};
    // S2: nothing a mapped folio points at has been freed.
    if (!rmap.owner_live(env, *f))
      return Finding{"S2 owner_alive",
                     fmt::format("folio #{} mapped at {} page {} points at an object that has been "
                                 "freed, so its rmap walk would read freed memory",
                                 f->id, proc_name(names, first.mm), first.page)};
    // S1: the walk finds every mapping.
    const std::vector<model::RmapHit> hits = rmap.walk(*f);
    for (const Mapping& want : maps) {
      const bool found = std::any_of(hits.begin(), hits.end(), [&](const model::RmapHit& h) {
        return h.maps && h.vma->vm_mm == want.mm && h.page == want.page;
      });
      if (!found)
        return Finding{"S1 rmap_complete",
                       fmt::format("the rmap walk of folio #{} visits {} candidate(s) but does not "
                                   "find its mapping at {} page {}",
                                   f->id, hits.size(), proc_name(names, want.mm), want.page)};
    }
  }
  return std::nullopt;
}

}  // namespace rmaplab
