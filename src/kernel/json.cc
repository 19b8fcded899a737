// to_json() of rmaplab/kernel.h: the language's --json result, plus events,
// per-call-site counts and snapshots.
#include <map>

#include <nlohmann/json.hpp>

#include "rmaplab/kernel.h"

namespace rmaplab::kernel {
namespace {

const char* counter_name(ObjectKind kind, EventType type) {
  const bool alloc = type == EventType::alloc;
  if (kind == ObjectKind::anon_vma) return alloc ? "anon_vma_alloc" : "anon_vma_free";
  return alloc ? "avc_alloc" : "avc_free";
}

nlohmann::json counters() {
  return {{"anon_vma_alloc", 0}, {"anon_vma_free", 0}, {"avc_alloc", 0}, {"avc_free", 0}};
}

nlohmann::json process_json(const ProcessState& p) {
  nlohmann::json vmas = nlohmann::json::array();
  for (const VmaLayout& v : p.vmas)
    vmas.push_back({{"start", v.start}, {"end", v.end}, {"prot", v.prot}});
  nlohmann::json pages = nlohmann::json::array();
  for (const PageInfo& pg : p.pages)
    pages.push_back({{"page", pg.page},
                     {"pfn", pg.pfn},
                     {"zero_page", pg.zero_page},
                     {"mapcount", pg.mapcount},
                     {"exclusive", pg.exclusive}});
  return {{"name", p.name},
          {"slot", p.slot},
          {"alive", p.alive},
          {"vmas", std::move(vmas)},
          {"pages", std::move(pages)}};
}

}  // namespace

nlohmann::json to_json(const Run& run) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OpResult& op : run.ops) {
    nlohmann::json o = {{"line", op.line}, {"result", op.result}};
    o.update(counters());
    nlohmann::json events = nlohmann::json::array();
    // std::map: call sites in name order, stable output.
    std::map<std::string, nlohmann::json> sites;
    for (const Event& e : op.events) {
      const char* counter = counter_name(e.kind, e.type);
      o[counter] = o[counter].get<int>() + 1;
      auto [it, fresh] = sites.try_emplace(e.call_site, counters());
      it->second[counter] = it->second[counter].get<int>() + 1;
      events.push_back({{"op", to_string(e.type)},
                        {"kind", to_string(e.kind)},
                        {"site", e.call_site},
                        {"id", e.id}});
    }
    o["events"] = std::move(events);
    o["call_sites"] = nlohmann::json::object();
    for (auto& [site, c] : sites) o["call_sites"][site] = std::move(c);
    if (!op.after.empty()) {
      nlohmann::json after = nlohmann::json::array();
      for (const ProcessState& p : op.after) after.push_back(process_json(p));
      o["after"] = std::move(after);
    }
    ops.push_back(std::move(o));
  }
  return {{"ops", std::move(ops)},
          {"live", {{"anon_vma", run.live_anon_vma}, {"avc", run.live_avc}}},
          {"kernel", run.kernel_release}};
}

}  // namespace rmaplab::kernel
