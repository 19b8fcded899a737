// The --json form of a run (shared/docs/workload-language.md): the
// language's fields plus what the model knows (events with call sites and
// ids, per-site totals, live counts and the VMA layout after each operation,
// the locks it took and the hierarchy's metrics after it).
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

json events_json(const std::vector<EventRecord>& events) {
  json out = json::array();
  for (const EventRecord& e : events)
    out.push_back({{"op", e.alloc ? "alloc" : "free"},
                   {"kind", e.anon_vma ? "anon_vma" : "avc"},
                   {"site", e.site},
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

}  // namespace

nlohmann::json run_json(const RunReport& report) {
  json ops = json::array();
  for (const OpRecord& op : report.ops) {
    json o = counts_json({op.anon_vma_alloc, op.anon_vma_free, op.avc_alloc, op.avc_free});
    o["line"] = op.line;
    o["op"] = op.text;
    o["result"] = op.result;
    o["events"] = events_json(op.events);
    json sites = json::object();
    for (const auto& [site, c] : call_site_totals(op.events)) sites[site] = counts_json(c);
    o["call_sites"] = std::move(sites);
    o["live"] = {{"anon_vma", op.live_anon_vma}, {"avc", op.live_avc}};
    o["layout"] = layout_json(op.layout);
    o["locks"] = op.locks;
    o["metrics"] = {{"avc_per_vma", op.metrics.avc_per_vma},
                    {"max_chain", op.metrics.max_chain},
                    {"max_walk", op.metrics.max_walk}};
    ops.push_back(std::move(o));
  }
  json doc = {{"ops", std::move(ops)},
              {"live", {{"anon_vma", report.live_anon_vma}, {"avc", report.live_avc}}},
              {"model", report.profile}};
  if (report.violation) {
    const Violation& v = *report.violation;
    doc["violation"] = {{"rule", v.rule}, {"message", v.message}, {"line", v.line}, {"op", v.op}};
  }
  return doc;
}

}  // namespace rmaplab::report
