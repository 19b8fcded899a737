// The --json form of a run (shared/docs/workload-language.md): the
// language's fields plus what the model knows (events with call sites and
// ids, per-site totals, live counts and the VMAs after each operation, the
// locks it took and, if asked, the hierarchy's metrics after it).
// Per-site totals have the kernel runner's shape (kernel::to_json), so model
// and kernel documents compare field for field.
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

using nlohmann::json;

json counts_json(const Counts& c) {
  return {{"anon_vma_alloc", c.anon_vma_alloc},
          {"anon_vma_free", c.anon_vma_free},
          {"avc_alloc", c.avc_alloc},
          {"avc_free", c.avc_free}};
}

json events_json(const std::vector<Event>& events) {
  json out = json::array();
  for (const Event& e : events)
    out.push_back({{"op", to_string(e.type)},
                   {"kind", to_string(e.kind)},
                   {"site", to_string(e.site)},
                   {"id", e.id}});
  return out;
}

json layout_json(const std::vector<ProcessRecord>& layout) {
  json out = json::object();
  for (const ProcessRecord& p : layout) {
    json vmas = json::array();
    for (const VmaRecord& v : p.vmas)
      vmas.push_back({{"start", v.start},
                      {"end", v.end},
                      {"prot", v.prot},
                      {"pgoff", v.pgoff},
                      {"anon_vma", v.anon_vma},
                      {"chain", v.chain}});
    out[p.name] = std::move(vmas);
  }
  return out;
}

json call_sites_json(const std::vector<std::pair<CallSite, Counts>>& sites) {
  json out = json::object();
  for (const auto& [site, c] : sites) out[std::string(to_string(site))] = counts_json(c);
  return out;
}

json locks_json(const LockCounts& locks) {
  json out = json::object();
  for (Lock lock : kAllLocks) out[std::string(to_string(lock))] = locks[lock];
  return out;
}

}  // namespace

nlohmann::json metrics_json(const Metrics& m) {
  return {{"avc_per_vma", m.avc_per_vma}, {"max_chain", m.max_chain}, {"max_walk", m.max_walk}};
}

nlohmann::json violation_json(const Violation& v) {
  json out = {{"rule", v.rule}, {"message", v.message}, {"line", v.line}, {"op", v.op}};
  if (v.during) out["during"] = true;  // a guard stopped the operation itself
  return out;
}

nlohmann::json op_json(const OpRecord& op) {
  json o = counts_json(op.counts);
  o["line"] = op.line;
  o["op"] = op.text;
  o["result"] = op.result;
  o["events"] = events_json(op.events);
  o["call_sites"] = call_sites_json(call_site_totals(op.events));
  o["live"] = {{"anon_vma", op.live_anon_vma}, {"avc", op.live_avc}};
  o["layout"] = layout_json(op.layout);
  o["locks"] = locks_json(op.locks);
  if (!op.fork_reuse.empty()) {
    json reuse = json::array();
    for (const ForkReuse& r : op.fork_reuse)
      reuse.push_back({{"anon_vma", r.anon_vma},
                       {"vma_start", r.vma_start},
                       {"num_children", r.seen.num_children},
                       {"num_active_vmas", r.seen.num_active_vmas},
                       {"is_pvma_anon_vma", r.seen.is_pvma_anon_vma},
                       {"reused", r.reused}});
    o["fork_reuse"] = std::move(reuse);
  }
  if (op.metrics) o["metrics"] = metrics_json(*op.metrics);
  return o;
}

nlohmann::json summary_json(const RunSummary& s) {
  json doc = {{"live", {{"anon_vma", s.live_anon_vma}, {"avc", s.live_avc}}},
              {"model", s.profile},
              {"call_sites", call_sites_json(s.call_sites)},
              {"metrics", metrics_json(s.metrics)}};
  if (s.violation) doc["violation"] = violation_json(*s.violation);
  return doc;
}

nlohmann::json run_json(const RunReport& report) {
  json ops = json::array();
  for (const OpRecord& op : report.ops) ops.push_back(op_json(op));
  json doc = {{"ops", std::move(ops)},
              {"live", {{"anon_vma", report.live_anon_vma}, {"avc", report.live_avc}}},
              {"model", report.profile}};
  if (report.violation) doc["violation"] = violation_json(*report.violation);
  return doc;
}

}  // namespace rmaplab::report
