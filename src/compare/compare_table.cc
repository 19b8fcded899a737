// rmaplab compare's table and JSON (rmaplab/compare.h).
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/compare.h"

namespace rmaplab {
namespace {

// Every object kind any run has, in first-seen order.
std::vector<std::string> kinds_of(const WorkloadComparison& c) {
  std::vector<std::string> kinds;
  for (const DesignRun& r : c.runs)
    for (const ObjectTotals& o : r.objects)
      if (std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) kinds.push_back(o.kind);
  return kinds;
}

std::string invariants(const DesignRun& r) {
  if (r.error) return "script error";
  return r.violation ? "BROKEN" : "ok";
}

}  // namespace

std::string compare_text(const WorkloadComparison& c) {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  auto row = [&](std::string name, auto&& cell) {
    std::vector<std::string> cells;
    for (const DesignRun& r : c.runs) cells.push_back(cell(r));
    rows.emplace_back(std::move(name), std::move(cells));
  };
  row("operations", [](const DesignRun& r) { return fmt::format("{}", r.ops); });
  if (std::any_of(c.runs.begin(), c.runs.end(), [](const DesignRun& r) { return r.killed; }))
    row("processes killed", [](const DesignRun& r) { return fmt::format("{}", r.killed); });
  for (const std::string& kind : kinds_of(c)) {
    row(kind + " allocated", [&](const DesignRun& r) {
      const ObjectTotals* o = r.object(kind);
      return o ? fmt::format("{}", o->allocated) : std::string("-");
    });
    row(kind + " peak live", [&](const DesignRun& r) {
      const ObjectTotals* o = r.object(kind);
      return o ? fmt::format("{}", o->peak) : std::string("-");
    });
  }
  row("peak bytes", [](const DesignRun& r) { return fmt::format("{}", r.peak_bytes); });
  row("folios walked", [](const DesignRun& r) { return fmt::format("{}", r.walks.walks); });
  row("walk candidates", [](const DesignRun& r) { return fmt::format("{}", r.walks.candidates); });
  row("walk steps", [](const DesignRun& r) { return fmt::format("{}", r.walks.steps); });
  row("mappings found", [](const DesignRun& r) {
    return fmt::format("{}/{}", r.walks.found, r.walks.mappings);
  });
  row("longest walk", [](const DesignRun& r) { return fmt::format("{}", r.walks.longest); });
  for (Lock lock : kAllLocks)
    row(std::string(to_string(lock)), [&](const DesignRun& r) {
      return fmt::format("{}", r.locks[lock]);
    });
  row("invariants", invariants);

  std::size_t w0 = c.workload.size();
  for (const auto& [name, cells] : rows) w0 = std::max(w0, name.size());
  std::vector<std::size_t> w;
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    std::size_t width = c.runs[i].profile.size();
    for (const auto& [name, cells] : rows) width = std::max(width, cells[i].size());
    w.push_back(width);
  }
  std::string out = fmt::format("{:<{}}", c.workload, w0);
  for (std::size_t i = 0; i < c.runs.size(); ++i)
    out += fmt::format("  {:>{}}", c.runs[i].profile, w[i]);
  out += "\n";
  for (const auto& [name, cells] : rows) {
    out += fmt::format("{:<{}}", name, w0);
    for (std::size_t i = 0; i < cells.size(); ++i) out += fmt::format("  {:>{}}", cells[i], w[i]);
    out += "\n";
  }
  for (const DesignRun& r : c.runs) {
    if (r.violation) out += fmt::format("{}: {}\n", r.profile, *r.violation);
    if (r.error) out += fmt::format("{}: {}\n", r.profile, *r.error);
  }
  return out;
}

nlohmann::json to_json(const WorkloadComparison& c) {
  nlohmann::json doc;
  doc["workload"] = c.workload;
  doc["runs"] = nlohmann::json::array();
  for (const DesignRun& r : c.runs) {
    nlohmann::json j;
    j["profile"] = r.profile;
    j["ops"] = r.ops;
    j["killed"] = r.killed;
    j["objects"] = nlohmann::json::object();
    for (const ObjectTotals& o : r.objects)
      j["objects"][o.kind] = {{"allocated", o.allocated}, {"peak", o.peak}, {"bytes", o.bytes}};
    j["peak_bytes"] = r.peak_bytes;
    j["walks"] = {{"folios", r.walks.walks},       {"candidates", r.walks.candidates}, {"steps", r.walks.steps},
                  {"found", r.walks.found},        {"mappings", r.walks.mappings},
                  {"longest", r.walks.longest},    {"complete", r.walks.complete()}};
    j["locks"] = nlohmann::json::object();
    for (Lock lock : kAllLocks) j["locks"][std::string(to_string(lock))] = r.locks[lock];
    j["invariants"] = r.violation ? nlohmann::json(*r.violation) : nlohmann::json("ok");
    if (r.error) j["error"] = *r.error;
    doc["runs"].push_back(std::move(j));
  }
  return doc;
}

}  // namespace rmaplab
