// The self-contained HTML page of a run (rmaplab/html.h): the run replayed
// through the driver, written as data the page's script replays.
//
// What the page needs of each operation it reads through the report
// layer's JSON of the record (report::op_json: line, op, result, counts,
// events, live, locks), not OpRecord's members, and the state through the
// read-only State view.
#include <algorithm>
#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "html/json_text.h"
#include "html/page_assets.h"
#include "html/state_changes.h"
#include "rmaplab/diff.h"
#include "rmaplab/html.h"
#include "rmaplab/kernel.h"
#include "rmaplab/profile.h"
#include "rmaplab/report.h"
#include "rmaplab/state.h"
#include "rmaplab/verify.h"

namespace rmaplab {
namespace {

using html::append_json_string;
using html::json_string;
using nlohmann::json;

// Operations per data element: the page parses one element when it first
// steps into it, so loading does not wait for the whole run.
constexpr std::size_t kChunk = 2048;

// Names the page's data refers to by index (call sites, locks), listed
// once at the end.
class Names {
 public:
  std::size_t index(const std::string& name) {
    const auto [it, added] = index_.emplace(name, names_.size());
    if (added) names_.push_back(name);
    return it->second;
  }
  json list() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> index_;
};

// The record's fields the page shows, as one JSON array (see page.js, OP):
// line, text, result (0: ok), counts (0: none), live anon_vmas and AVCs,
// events (0: none; else [kind, id, site] with kind 0 +anon_vma, 1 -anon_vma,
// 2 +AVC, 3 -AVC), locks taken (0: none; else [lock, times]), then the
// caller appends the changes and the shape.
void append_op(std::string& out, const json& op, Names& sites, Names& locks) {
  out += fmt::format("[{},", op.at("line").get<int>());
  append_json_string(out, op.at("op").get<std::string>());
  out += ',';
  const std::string& result = op.at("result").get_ref<const std::string&>();
  if (result == "ok")
    out += '0';
  else
    append_json_string(out, result);
  const std::uint64_t c[4] = {
      op.at("anon_vma_alloc").get<std::uint64_t>(), op.at("anon_vma_free").get<std::uint64_t>(),
      op.at("avc_alloc").get<std::uint64_t>(), op.at("avc_free").get<std::uint64_t>()};
  if (c[0] || c[1] || c[2] || c[3])
    out += fmt::format(",[{},{},{},{}]", c[0], c[1], c[2], c[3]);
  else
    out += ",0";
  out += fmt::format(",{},{},", op.at("live").at("anon_vma").get<std::uint64_t>(),
                     op.at("live").at("avc").get<std::uint64_t>());
  const json& events = op.at("events");
  if (events.empty()) {
    out += '0';
  } else {
    out += '[';
    bool first = true;
    for (const json& e : events) {
      const int kind = (e.at("op") == "alloc" ? 0 : 1) + (e.at("kind") == "anon_vma" ? 0 : 2);
      out += fmt::format("{}[{},{},{}]", first ? "" : ",", kind, e.at("id").get<int>(),
                         sites.index(e.at("site").get<std::string>()));
      first = false;
    }
    out += ']';
  }
  out += ',';
  bool any = false;
  for (const auto& [lock, n] : op.at("locks").items()) {
    const auto times = n.get<std::uint64_t>();
    if (!times) continue;
    out += fmt::format("{}[{},{}]", any ? "," : "[", locks.index(lock), times);
    any = true;
  }
  out += any ? "]," : "0,";
}

json violation_data(const Violation& v) {
  return {{"rule", v.rule}, {"message", v.message}, {"line", v.line},
          {"op", v.op},     {"during", v.during},   {"explanation", rule_explanation(v.rule)}};
}

// The JSON text of `j`, safe inside a <script> element.
std::string script_safe(const json& j) {
  std::string s = j.dump();
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

struct RunOutcome {
  std::size_t ops = 0;
  std::optional<Violation> violation;
  std::string error;
};

// One profile's run: its operations in <script type="application/json">
// elements of kChunk operations each (the page parses one when it first
// steps into it), then one holding the run's end: {"run", "profile",
// "count", "plot" (per operation: live anon_vmas, live AVCs and the six
// StateShape numbers, as eight columns), "violation", "error"}.
RunOutcome write_run(const Script& script, const model::Profile* profile, bool folios,
                     std::size_t run, Names& sites, Names& locks, std::ostream& out) {
  RunOptions options;
  options.check = true;
  options.layouts = Layouts::none;
  options.pages = false;
  options.profile = profile;
  Simulation sim(script, options);
  const State state(sim);
  html::StateChanges changes(folios);
  RunOutcome outcome;
  std::array<std::vector<std::uint64_t>, 8> plot;
  json reuse = json::array();  // every fork's reuse decisions, for the anon_vma panel
  std::string buf;
  const auto close_chunk = [&] {
    if (buf.empty()) return;
    buf += "]</script>\n";
    out << buf;
    buf.clear();
  };
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) {
      outcome.error = rec.error().message;
      break;
    }
    if (outcome.ops % kChunk == 0) {
      close_chunk();
      buf = fmt::format("<script type=\"application/json\" data-run=\"{}\">[", run);
    } else {
      buf += ',';
    }
    ++outcome.ops;
    const json op = report::op_json(*rec);
    append_op(buf, op, sites, locks);
    for (const ForkReuse& r : rec->fork_reuse)
      reuse.push_back({outcome.ops - 1, r.anon_vma, r.vma_start, r.seen.num_children,
                       r.seen.num_active_vmas, int{r.seen.is_pvma_anon_vma}, int{r.reused}});
    // A guard that stopped the operation half way leaves the model unusable:
    // its state is not read again.
    html::StateShape shape;
    if (sim.violation() && sim.violation()->during)
      buf += "[]";
    else
      shape = changes.next(state, script.ops[sim.next_op() - 1], buf);
    buf += ']';
    const std::uint64_t columns[8] = {op.at("live").at("anon_vma").get<std::uint64_t>(),
                                      op.at("live").at("avc").get<std::uint64_t>(),
                                      shape.vmas_with_anon_vma,
                                      shape.chain_total,
                                      shape.chain_max,
                                      shape.walk_candidates,
                                      shape.walk_mappings,
                                      shape.walk_max};
    for (int i = 0; i < 8; ++i) plot[i].push_back(columns[i]);
  }
  close_chunk();
  if (outcome.error.empty() && !sim.violation()) sim.check_all();  // the whole state at the end
  outcome.violation = sim.violation();
  // The end, its plot columns written as they are (a million operations
  // would be eight million JSON values if built first).
  json end = {{"run", run},
              {"profile", profile ? profile->name : model::kDefaultProfile},
              {"count", outcome.ops},
              {"violation", nullptr},
              {"error", nullptr},
              {"reuse", std::move(reuse)}};
  if (outcome.violation) end["violation"] = violation_data(*outcome.violation);
  if (!outcome.error.empty()) end["error"] = outcome.error;
  std::string text = script_safe(end);
  text.pop_back();  // the closing brace: the columns follow
  out << "<script type=\"application/json\" class=\"run-end\">" << text << ",\"plot\":[";
  for (std::size_t c = 0; c < plot.size(); ++c) {
    buf = c ? ",[" : "[";
    for (std::size_t i = 0; i < plot[c].size(); ++i) {
      if (i) buf += ',';
      buf += fmt::format("{}", plot[c][i]);
      if (buf.size() >= (1 << 16)) {
        out << buf;
        buf.clear();
      }
    }
    out << buf << ']';
  }
  out << "]}</script>\n";
  return outcome;
}

json divergence_data(const ProfileComparison& c) {
  json differs = json::array();
  for (std::size_t i = 0; i < c.ops.size(); ++i) {
    if (c.ops[i].differs.empty()) continue;
    std::string kinds;
    for (const ProfileDiffKind k : c.ops[i].differs) {
      if (!kinds.empty()) kinds += ", ";
      kinds += to_string(k);
    }
    differs.push_back({i, kinds});
  }
  json d = {{"a", c.a}, {"b", c.b}, {"differs", std::move(differs)}, {"divergence", nullptr}};
  if (!c.same()) {
    const auto it = std::find_if(c.ops.begin(), c.ops.end(),
                                 [&](const ProfileOpDiff& o) { return !o.differs.empty(); });
    d["divergence"] = {{"line", c.divergence.line},
                       {"op", c.divergence.op},
                       {"kind", to_string(c.divergence.kind)},
                       {"message", c.divergence.message},
                       {"index", it - c.ops.begin()}};
  }
  return d;
}

json kernel_data(const Script& script, const model::Profile* profile, HtmlSummary& summary) {
  if (auto probe = kernel::probe(); !probe) {
    summary.kernel_error = probe.error().message;
    return {{"error", summary.kernel_error}};
  }
  VerifyOptions options;
  options.profile = profile;
  options.keep_ops = true;
  Verification v = verify_script(script, options);
  if (v.outcome == Verification::Outcome::kernel_error ||
      v.outcome == Verification::Outcome::script_error) {
    summary.kernel_error = v.error;
    return {{"error", v.error}};
  }
  json ops = json::array();
  for (const OpComparison& o : v.comparison.ops) {
    json kinds = json::array();
    for (const DiffKind k : o.differs) kinds.push_back(to_string(k));
    const Counts& k = o.kernel;
    ops.push_back({o.line, o.kernel_result,
                   json::array({k.anon_vma_alloc, k.anon_vma_free, k.avc_alloc, k.avc_free}),
                   std::move(kinds)});
  }
  json first = json::array();
  for (const Difference& d : v.comparison.first)
    first.push_back(
        {{"kind", to_string(d.kind)}, {"line", d.line}, {"op", d.op}, {"message", d.message}});
  summary.kernel_differences = v.comparison.differences;
  return {{"error", nullptr},
          {"release", v.kernel.kernel_release},
          {"ops", std::move(ops)},
          {"first", std::move(first)},
          {"snapshots", v.comparison.compared_snapshots}};
}

}  // namespace

Result<HtmlSummary> write_html_report(const Script& script, const HtmlOptions& options,
                                      std::ostream& out) {
  if (options.profiles.size() > 2) return Error{"a report compares at most two profiles"};
  std::vector<const model::Profile*> profiles = options.profiles;
  if (profiles.empty()) profiles.push_back(nullptr);

  // The template's pieces, in order: title, styles, data, script.
  const std::string_view page = html::kPageHtml;
  std::size_t at = 0;
  const auto upto = [&](std::string_view mark) {
    const std::size_t found = page.find(mark, at);
    out << page.substr(at, found - at);
    at = found + mark.size();
  };
  upto("RMAPLAB_TITLE");
  for (const char c : fmt::format("rmaplab report: {}", script.file)) {
    if (c == '<')
      out << "&lt;";
    else if (c == '&')
      out << "&amp;";
    else
      out << c;
  }
  upto("RMAPLAB_CSS");
  out << html::kPageCss;
  upto("RMAPLAB_DATA");

  HtmlSummary summary;
  Names sites, locks;
  json head = {{"file", script.file},
               {"procs", script.procs},
               {"folios", options.folios},
               {"chunk", kChunk},
               {"runs", profiles.size()}};
  out << "<script type=\"application/json\" id=\"rmaplab-data\">" << script_safe(head)
      << "</script>\n";
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    RunOutcome r = write_run(script, profiles[i], options.folios, i, sites, locks, out);
    if (i == 0) {
      summary.operations = r.ops;
      summary.violation = r.violation;
      summary.script_error = r.error;
    }
  }
  json tail = {
      {"sites", sites.list()}, {"locks", locks.list()}, {"profiles", nullptr}, {"kernel", nullptr}};
  if (profiles.size() == 2) {
    if (auto c = compare_profiles(script, *profiles[0], *profiles[1])) {
      summary.profiles_differ = !c->same();
      tail["profiles"] = divergence_data(*c);
    }
  }
  if (options.kernel) tail["kernel"] = kernel_data(script, profiles[0], summary);
  out << "<script type=\"application/json\" id=\"rmaplab-tail\">" << script_safe(tail)
      << "</script>\n";
  upto("RMAPLAB_JS");
  out << html::kPageJs;
  out << page.substr(at);
  out.flush();
  if (!out) return Error{"the report could not be written"};
  return summary;
}

}  // namespace rmaplab
