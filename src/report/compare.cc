// Model versus kernel (rmaplab/verify.h) in text and JSON.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/kernel.h"
#include "rmaplab/report.h"
#include "rmaplab/verify.h"

namespace rmaplab::report {
namespace {

std::string side(const std::string& result, const Counts& c) {
  return fmt::format("{} +{}/-{} +{}/-{}", result, c.anon_vma_alloc, c.anon_vma_free, c.avc_alloc,
                     c.avc_free);
}

}  // namespace

std::string comparison_table(const Script& script, const Comparison& c) {
  std::size_t ow = std::string_view("operation").size();
  std::size_t mw = std::string_view("model").size(), kw = mw;
  for (const OpComparison& o : c.ops) {
    ow = std::max(ow, o.op.size());
    mw = std::max(mw, side(o.model_result, o.model).size());
    kw = std::max(kw, side(o.kernel_result, o.kernel).size());
  }
  std::string out = fmt::format("{:>4}  {:<{}}  {:<{}}  {:<{}}  {}\n", "line", "operation", ow,
                                "model", mw, "kernel", kw, "differs");
  for (const OpComparison& o : c.ops) {
    std::string differs;
    for (DiffKind k : o.differs)
      differs += fmt::format("{}{}", differs.empty() ? "" : ", ", to_string(k));
    std::string row = fmt::format("{:>4}  {:<{}}  {:<{}}  {:<{}}  {}", o.line, o.op, ow,
                                  side(o.model_result, o.model), mw,
                                  side(o.kernel_result, o.kernel), kw, differs);
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  out += "\n(result anon_vma +alloc/-free AVC +alloc/-free)\n";
  const std::string checked = c.compared_snapshots
                                  ? "results, counts, events, object identity, layout and pages"
                                  : "results, counts, events and object identity";
  if (c.agree()) {
    out += fmt::format("the model and the kernel agree on all {} operations ({})\n", c.ops.size(),
                       checked);
    return out;
  }
  out += fmt::format(
      "the model and the kernel disagree on {} of {} operations; the first "
      "difference of each kind:\n",
      c.differences, c.ops.size());
  for (const Difference& d : c.first)
    out += fmt::format("  {}:{}: {} differ after '{}': {}\n", script.file, d.line,
                       to_string(d.kind), d.op, d.message);
  return out;
}

void Reporter::comparison(const Script& script, const Comparison& c, const kernel::Run& run) {
  if (format_ == Format::json) {
    nlohmann::json doc = to_json(c);
    doc["kernel"] = run.kernel_release;
    doc["model"] = c.model;
    write(out_, doc.dump(2));
    return;
  }
  write(out_, fmt::format("model {} versus kernel {}\n", c.model, run.kernel_release) +
                  comparison_table(script, c));
}

}  // namespace rmaplab::report

// --- many scripts (rmaplab/verify.h) ---

namespace rmaplab {

std::string source_line(const ScriptSource& source, std::size_t width, const Verification& v,
                        const GenerateOptions& generate) {
  std::string line = summary_line(source.name, width, v);
  const bool failed =
      v.outcome != Verification::Outcome::agree && v.outcome != Verification::Outcome::ran;
  if (failed && source.seed)
    line += fmt::format("\n    replay: {} > {} && rmaplab verify {}",
                        gen_command(generate, *source.seed), source.name, source.name);
  return line;
}

std::string totals_line(const VerifyTotals& totals, bool kernel_only) {
  using O = Verification::Outcome;
  std::string out =
      fmt::format("total: {} script{}", totals.scripts, totals.scripts == 1 ? "" : "s");
  const std::pair<O, const char*> parts[] = {{O::agree, "agree"},
                                             {O::ran, "ran"},
                                             {O::differ, "differ"},
                                             {O::script_error, "script error"},
                                             {O::kernel_error, "kernel error"}};
  for (auto [outcome, what] : parts) {
    const std::size_t n = totals.count(outcome);
    if (n || (outcome == O::agree && !kernel_only))
      out += fmt::format(", {} {}{}", n, what,
                         n != 1 && std::string_view(what).ends_with("error") ? "s" : "");
  }
  if (!totals.failing_seeds.empty()) {
    out += "; failing seeds:";
    for (std::uint64_t s : totals.failing_seeds) out += fmt::format(" {}", s);
  }
  return out;
}

nlohmann::json source_json(const ScriptSource& source, const Verification& v,
                           const GenerateOptions& generate) {
  nlohmann::json j = to_json(source.name, v);
  if (source.seed) {
    j["seed"] = *source.seed;
    j["generated_by"] = gen_command(generate, *source.seed);
  }
  return j;
}

nlohmann::json totals_json(const VerifyTotals& totals) {
  using O = Verification::Outcome;
  nlohmann::json j = {{"scripts", totals.scripts}};
  for (O outcome : {O::agree, O::differ, O::script_error, O::kernel_error, O::ran})
    j[std::string(to_string(outcome))] = totals.count(outcome);
  return j;
}

nlohmann::json error_json(std::string_view message) {
  nlohmann::json place[3] = {nullptr, nullptr, nullptr};  // file, line, column
  // "FILE:LINE:COLUMN: what" or "FILE:LINE: what"; the file may hold colons.
  auto number = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit))
      return std::nullopt;
    return std::stoi(std::string(s));
  };
  if (const std::size_t end = message.find(": "); end != std::string_view::npos) {
    std::string_view head = message.substr(0, end);
    std::optional<int> nums[2];
    int found = 0;
    for (; found < 2; ++found) {
      const std::size_t colon = head.rfind(':');
      if (colon == std::string_view::npos) break;
      auto n = number(head.substr(colon + 1));
      if (!n) break;
      nums[found] = n;
      head = head.substr(0, colon);
    }
    if (found > 0 && !head.empty()) {
      place[0] = std::string(head);
      place[1] = found == 2 ? *nums[1] : *nums[0];
      if (found == 2) place[2] = *nums[0];
    }
  }
  return {{"error",
           {{"message", std::string(message)},
            {"file", place[0]},
            {"line", place[1]},
            {"column", place[2]}}}};
}

}  // namespace rmaplab
