// Rule sets side by side (rmaplab/diff.h), in text and JSON.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/diff.h"

namespace rmaplab {
namespace {

using nlohmann::json;

std::string kinds(const std::vector<ProfileDiffKind>& ks) {
  std::string out;
  for (ProfileDiffKind k : ks) out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(k));
  return out;
}

// "anon_vma_root_write +1, pte_lock -2": b minus a, nonzero only.
std::string lock_delta(const LockCounts& a, const LockCounts& b) {
  std::string out;
  for (Lock lock : kAllLocks) {
    const auto d = static_cast<std::int64_t>(b[lock]) - static_cast<std::int64_t>(a[lock]);
    if (d) out += fmt::format("{}{} {:+}", out.empty() ? "" : ", ", to_string(lock), d);
  }
  return out;
}

json locks_json(const LockCounts& locks) {
  json out = json::object();
  for (Lock lock : kAllLocks) out[std::string(to_string(lock))] = locks[lock];
  return out;
}

json events_json(const std::vector<Event>& events) {
  json out = json::array();
  for (const Event& e : events) out.push_back(profile_diff_event(e));
  return out;
}

json kinds_json(const std::vector<ProfileDiffKind>& ks) {
  json out = json::array();
  for (ProfileDiffKind k : ks) out.push_back(std::string(to_string(k)));
  return out;
}

std::string counts_line(const std::array<std::size_t, kProfileDiffKinds.size()>& n) {
  std::string out;
  for (std::size_t k = 0; k < n.size(); ++k)
    out += fmt::format("{}{} {}", k ? ", " : "", to_string(kProfileDiffKinds[k]), n[k]);
  return out;
}

json counts_json(const std::array<std::size_t, kProfileDiffKinds.size()>& n) {
  json out = json::object();
  for (std::size_t k = 0; k < n.size(); ++k)
    out[std::string(to_string(kProfileDiffKinds[k]))] = n[k];
  return out;
}

}  // namespace

std::string profile_diff_event(const Event& e) {
  return fmt::format("{}{} {}", e.type == EventType::alloc ? '+' : '-', to_string(e.kind),
                     to_string(e.site));
}

std::string profile_diff_text(const ProfileComparison& c, bool all_ops) {
  std::string out = fmt::format("{}: {} versus {}\n", c.file, c.a, c.b);
  std::size_t ow = std::string_view("operation").size();
  for (const ProfileOpDiff& o : c.ops) ow = std::max(ow, o.op.size());
  bool header = false;
  for (const ProfileOpDiff& o : c.ops) {
    if (o.differs.empty() && !all_ops) continue;
    if (!header) {
      out += fmt::format("{:>4}  {:<{}}  {}\n", "line", "operation", ow, "differs");
      header = true;
    }
    std::string row = fmt::format("{:>4}  {:<{}}  {}", o.line, o.op, ow, kinds(o.differs));
    const std::string locks = lock_delta(o.locks_a, o.locks_b);
    if (!locks.empty()) row += fmt::format(" ({})", locks);
    if (o.result_a != o.result_b) row += fmt::format(" [{} / {}]", o.result_a, o.result_b);
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  if (c.same()) {
    out += fmt::format("no difference in {} operations\n", c.ops.size());
    return out;
  }
  out += fmt::format("\nfirst divergence: {}:{} '{}': {}\n", c.file, c.divergence.line,
                     c.divergence.op, c.divergence.message);
  out += fmt::format("{} of {} operations differ; the first difference of each kind:\n",
                     c.differences, c.ops.size());
  for (const ProfileDifference& d : c.first)
    out += fmt::format("  {}:{} '{}': {}\n", c.file, d.line, d.op, d.message);
  out += c.semantic() ? "semantic: they differ in more than lock counts and event order\n"
                      : "semantic: same (they differ only in lock counts and event order)\n";
  return out;
}

nlohmann::json to_json(const ProfileComparison& c) {
  json ops = json::array();
  for (const ProfileOpDiff& o : c.ops) {
    if (o.differs.empty()) continue;
    json j = {{"line", o.line},
              {"op", o.op},
              {"differs", kinds_json(o.differs)},
              {"result", {{c.a, o.result_a}, {c.b, o.result_b}}},
              {"events", {{c.a, events_json(o.events_a)}, {c.b, events_json(o.events_b)}}},
              {"locks", {{c.a, locks_json(o.locks_a)}, {c.b, locks_json(o.locks_b)}}}};
    if (!o.objects_a.empty() || !o.objects_b.empty())
      j["objects"] = {{c.a, o.objects_a}, {c.b, o.objects_b}};
    ops.push_back(std::move(j));
  }
  json first = json::array();
  for (const ProfileDifference& d : c.first)
    first.push_back({{"kind", std::string(to_string(d.kind))},
                     {"line", d.line},
                     {"op", d.op},
                     {"message", d.message}});
  json doc = {{"file", c.file},
              {"profiles", {c.a, c.b}},
              {"operations", c.ops.size()},
              {"differing_operations", c.differences},
              {"ops", std::move(ops)},
              {"first", std::move(first)},
              {"semantic", c.semantic()}};
  if (!c.same())
    doc["divergence"] = {{"kind", std::string(to_string(c.divergence.kind))},
                         {"line", c.divergence.line},
                         {"op", c.divergence.op},
                         {"message", c.divergence.message}};
  return doc;
}

std::string profile_totals_text(const ProfileDiffTotals& t) {
  std::string out = fmt::format("{} versus {} over {} scripts, {} operations\n", t.a, t.b,
                                t.scripts, t.operations);
  out += fmt::format("scripts that differ:    {}\n", counts_line(t.scripts_differing));
  out += fmt::format("operations that differ: {}\n", counts_line(t.ops_differing));
  out += fmt::format("scripts that differ semantically: {}\n", t.semantic_scripts.size());
  for (std::size_t i = 0; i < t.semantic_scripts.size() && i < 10; ++i)
    out += fmt::format("  {}\n", t.semantic_scripts[i]);
  if (t.semantic_scripts.size() > 10)
    out += fmt::format("  ... and {} more\n", t.semantic_scripts.size() - 10);
  out += fmt::format(
      "\nper operation type: operations, differing (result/counts/order/locks/"
      "objects), anon_vma and AVC events, and lock acquisitions ({} -> {}):\n",
      t.a, t.b);
  for (const auto& [verb, v] : t.per_verb) {
    out += fmt::format(
        "  {:<9} {:>6} ops  differ {}/{}/{}/{}/{}  anon_vma {} -> {}  AVC {} -> {}\n", verb, v.ops,
        v.differing[0], v.differing[1], v.differing[2], v.differing[3], v.differing[4],
        v.anon_vma_events_a, v.anon_vma_events_b, v.avc_events_a, v.avc_events_b);
    for (Lock lock : kAllLocks) {
      const std::uint64_t n = v.locks_a[lock], m = v.locks_b[lock];
      if (n == 0 && m == 0) continue;
      out += fmt::format("  {:<9} {:>6}      {:<20} {} -> {}{}\n", "", "", to_string(lock), n, m,
                         n == m ? ""
                                : fmt::format(" ({:+})", static_cast<std::int64_t>(m) -
                                                             static_cast<std::int64_t>(n)));
    }
  }
  return out;
}

nlohmann::json to_json(const ProfileDiffTotals& t) {
  json verbs = json::object();
  for (const auto& [verb, v] : t.per_verb)
    verbs[verb] = {{"ops", v.ops},
                   {"differing", counts_json(v.differing)},
                   {"locks", {{t.a, locks_json(v.locks_a)}, {t.b, locks_json(v.locks_b)}}},
                   {"anon_vma_events", {{t.a, v.anon_vma_events_a}, {t.b, v.anon_vma_events_b}}},
                   {"avc_events", {{t.a, v.avc_events_a}, {t.b, v.avc_events_b}}}};
  return {{"profiles", {t.a, t.b}},
          {"scripts", t.scripts},
          {"operations", t.operations},
          {"scripts_differing", counts_json(t.scripts_differing)},
          {"operations_differing", counts_json(t.ops_differing)},
          {"semantic_scripts", t.semantic_scripts},
          {"per_verb", std::move(verbs)}};
}

}  // namespace rmaplab
