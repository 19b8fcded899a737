// Designs side by side (rmaplab/compare.h): one Simulation per design.
#include "rmaplab/compare.h"

#include <algorithm>
#include <unordered_set>

#include "model/machine.h"
#include "run/model_of.h"
#include "rmaplab/run.h"

namespace rmaplab {
namespace {

// The rmap walk of every mapped anonymous folio, once each.
void walk_every_folio(const model::Machine& m, WalkTotals& w) {
  std::unordered_set<const model::folio*> seen;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    for (const auto& [start, v] : mm->vmas)
      mm->ptes.for_each_present(v->vm_start, v->vm_end, [&](std::uint32_t, const model::folio* f) {
        if (model::is_zero_page(f) || !f->is_anon() || !seen.insert(f).second) return;
        if (!m.rmap().owner_live(m.env(), *f)) return;  // a violation says so
        const std::uint64_t before = m.rmap().walk_steps();
        const std::vector<model::RmapHit> hits = m.rmap().walk(*f);
        w.steps += m.rmap().walk_steps() - before;
        ++w.walks;
        w.candidates += hits.size();
        w.found += static_cast<std::uint64_t>(
            std::count_if(hits.begin(), hits.end(), [](const auto& h) { return h.maps; }));
        w.mappings += f->mapcount;
        w.longest = std::max<std::uint64_t>(w.longest, hits.size());
      });
  }
}

ObjectTotals& object_named(std::vector<ObjectTotals>& objects, std::string_view kind,
                           std::uint32_t bytes) {
  for (ObjectTotals& o : objects)
    if (o.kind == kind) return o;
  objects.push_back({std::string(kind), bytes, 0, 0});
  return objects.back();
}

DesignRun run_design(const Script& script, const model::Profile& profile) {
  DesignRun run;
  run.profile = std::string(profile.name);
  RunOptions options;
  options.check = true;
  options.layouts = Layouts::none;
  options.record_events = false;
  options.profile = &profile;
  // A script written for one design may touch a page another design's VMA
  // rules left unmapped or read-only (a merge that did not happen, an
  // mprotect that failed): the process dies there, as the real one would.
  options.on_fault = OnFault::kill;
  Simulation sim(script, options);
  const model::Machine& m = machine_of(sim);
  object_named(run.objects, "anon_vma", kAnonVmaBytes);
  object_named(run.objects, "avc", kAvcBytes);
  for (const model::DesignObjects& o : m.rmap().objects())
    object_named(run.objects, o.kind, o.bytes);
  ObjectTotals& av = run.objects[0];  // the list is complete: no reallocation below
  ObjectTotals& avc = run.objects[1];
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) {
      run.error = rec.error().message;
      break;
    }
    ++run.ops;
    run.locks += rec->locks;
    av.allocated += rec->counts.anon_vma_alloc;
    avc.allocated += rec->counts.avc_alloc;
    av.peak = std::max<std::uint64_t>(av.peak, rec->live_anon_vma);
    avc.peak = std::max<std::uint64_t>(avc.peak, rec->live_avc);
    std::uint64_t bytes = rec->live_anon_vma * kAnonVmaBytes + rec->live_avc * kAvcBytes;
    for (const model::DesignObjects& o : m.rmap().objects()) bytes += o.live() * o.bytes;
    run.peak_bytes = std::max(run.peak_bytes, bytes);
    const Op& op = script.ops[sim.next_op() - 1];
    if (op.verb == Verb::fork && rec->result == "ok") walk_every_folio(m, run.walks);
  }
  if (!run.error) walk_every_folio(m, run.walks);
  for (const model::DesignObjects& o : m.rmap().objects()) {
    ObjectTotals& t = object_named(run.objects, o.kind, o.bytes);
    t.allocated = o.allocated;
    t.peak = o.peak;
  }
  run.killed = sim.summary().killed;
  if (const auto& v = sim.violation())
    run.violation = v->rule + " (line " + std::to_string(v->line) + "): " + v->message;
  return run;
}

}  // namespace

WalkTotals& WalkTotals::operator+=(const WalkTotals& o) {
  walks += o.walks;
  candidates += o.candidates;
  steps += o.steps;
  found += o.found;
  mappings += o.mappings;
  longest = std::max(longest, o.longest);
  return *this;
}

const ObjectTotals* DesignRun::object(std::string_view kind) const {
  for (const ObjectTotals& o : objects)
    if (o.kind == kind) return &o;
  return nullptr;
}

WorkloadComparison compare_designs(const Script& script,
                                   const std::vector<const model::Profile*>& profiles) {
  WorkloadComparison c;
  c.workload = script.file;
  for (const model::Profile* p : profiles) c.runs.push_back(run_design(script, *p));
  return c;
}

WorkloadComparison total_of(const std::vector<WorkloadComparison>& comparisons, std::string name) {
  WorkloadComparison total;
  total.workload = std::move(name);
  std::vector<std::uint64_t> violations;
  for (const WorkloadComparison& c : comparisons) {
    if (total.runs.empty()) {
      for (const DesignRun& r : c.runs) {
        DesignRun t;
        t.profile = r.profile;
        total.runs.push_back(std::move(t));
      }
      violations.assign(c.runs.size(), 0);
    }
    for (std::size_t i = 0; i < c.runs.size() && i < total.runs.size(); ++i) {
      const DesignRun& r = c.runs[i];
      DesignRun& t = total.runs[i];
      t.ops += r.ops;
      t.killed += r.killed;
      for (const ObjectTotals& o : r.objects) {
        ObjectTotals& s = object_named(t.objects, o.kind, o.bytes);
        s.allocated += o.allocated;
        s.peak += o.peak;
      }
      t.peak_bytes += r.peak_bytes;
      t.walks += r.walks;
      t.locks += r.locks;
      if (r.violation || r.error) ++violations[i];
      if (!t.violation && r.violation) t.violation = c.workload + ": " + *r.violation;
      if (!t.error && r.error) t.error = *r.error;
    }
  }
  for (std::size_t i = 0; i < total.runs.size(); ++i)
    if (violations[i] > 1 && total.runs[i].violation)
      *total.runs[i].violation =
          std::to_string(violations[i]) + " workloads fail; first " + *total.runs[i].violation;
  return total;
}

}  // namespace rmaplab
