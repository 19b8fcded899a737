// The text form of a run: one row per operation, then a summary. The
// column widths come from the script, so rows can be written as they come.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

std::string delta(std::uint64_t alloc, std::uint64_t free) {
  return fmt::format("+{}/-{}", alloc, free);
}

// Every result the model returns fits "result" (ENOMEM, EINVAL, OOM, ...);
// a longer one widens its own row only.
constexpr std::size_t kResultWidth = 6;

std::string row(const TableWidths& w, std::string_view line, std::string_view op,
                std::string_view result, std::string_view av, std::string_view avc,
                std::string_view live_av, std::string_view live_avc) {
  return fmt::format("{:>4}  {:<{}}  {:<{}}  {:>8}  {:>8}  {:>13}  {:>8}\n", line, op, w.op, result,
                     w.result, av, avc, live_av, live_avc);
}

}  // namespace

TableWidths table_widths(const Script& script, int stop_after_line) {
  TableWidths w{std::string_view("operation").size(), kResultWidth};
  for (const Op& op : script.ops) {
    if (stop_after_line > 0 && op.line > stop_after_line) break;
    w.op = std::max(w.op, format_op(script, op).size());
  }
  return w;
}

std::string table_header(const TableWidths& w) {
  return row(w, "line", "operation", "result", "anon_vma", "AVC", "live anon_vma", "live AVC");
}

std::string table_row(const TableWidths& w, const OpRecord& op) {
  return row(w, std::to_string(op.line), op.text, op.result,
             delta(op.counts.anon_vma_alloc, op.counts.anon_vma_free),
             delta(op.counts.avc_alloc, op.counts.avc_free), std::to_string(op.live_anon_vma),
             std::to_string(op.live_avc));
}

std::string call_site_lines(const std::vector<std::pair<std::string_view, Counts>>& sites) {
  if (sites.empty()) return {};
  std::size_t w = std::string_view("call site").size();
  for (const auto& [site, c] : sites) w = std::max(w, site.size());
  std::string out = fmt::format("{:<{}}  {:>8}  {:>8}\n", "call site", w + 2, "anon_vma", "AVC");
  for (const auto& [site, c] : sites)
    out += fmt::format("  {:<{}}  {:>8}  {:>8}\n", site, w,
                       delta(c.anon_vma_alloc, c.anon_vma_free), delta(c.avc_alloc, c.avc_free));
  return out;
}

std::string table_summary(const RunSummary& s, const TableOptions& options) {
  const Counts& total = s.total;
  std::string out = fmt::format("\n{} operation{}\n", s.ops, s.ops == 1 ? "" : "s");
  out += fmt::format("anon_vma: {} allocated, {} freed, {} live at the end\n", total.anon_vma_alloc,
                     total.anon_vma_free, s.live_anon_vma);
  out += fmt::format("AVC:      {} allocated, {} freed, {} live at the end\n", total.avc_alloc,
                     total.avc_free, s.live_avc);
  std::vector<std::pair<std::string_view, Counts>> sites;
  for (const auto& [site, c] : s.call_sites) sites.emplace_back(to_string(site), c);
  out += call_site_lines(sites);
  if (options.fail_alloc) {
    // The failed allocation is no event, so whether it was reached is not
    // known from the counts alone: state the facts.
    out += fmt::format("injected: anon_vma/AVC allocation {} fails ({} allocations succeeded)\n",
                       options.fail_alloc, total.anon_vma_alloc + total.avc_alloc);
  }
  if (options.checked && !s.violation) out += "invariants checked after every operation: ok\n";
  return out;
}

RunSummary summarize(const RunReport& report) {
  RunSummary s;
  s.profile = report.profile;
  s.ops = report.ops.size();
  std::vector<Event> events;
  for (const OpRecord& op : report.ops) {
    s.total += op.counts;
    events.insert(events.end(), op.events.begin(), op.events.end());
  }
  s.call_sites = call_site_totals(events);
  s.live_anon_vma = report.live_anon_vma;
  s.live_avc = report.live_avc;
  s.violation = report.violation;
  return s;
}

namespace {

TableWidths widths_of(const RunReport& report) {
  TableWidths w{std::string_view("operation").size(), kResultWidth};
  for (const OpRecord& op : report.ops) {
    w.op = std::max(w.op, op.text.size());
    w.result = std::max(w.result, op.result.size());
  }
  return w;
}

}  // namespace

std::string run_rows(const RunReport& report) {
  const TableWidths w = widths_of(report);
  std::string out = table_header(w);
  for (const OpRecord& op : report.ops) out += table_row(w, op);
  return out;
}

std::string run_table(const RunReport& report, const TableOptions& options) {
  return run_rows(report) + table_summary(summarize(report), options);
}

std::string violation_sentence(std::string_view file, const Violation& v) {
  if (v.during)
    return fmt::format("{}:{}: rule '{}' broken during '{}': {}", file, v.line, v.rule, v.op,
                       v.message);
  return fmt::format("{}:{}: invariant {} broken after '{}': {}", file, v.line, v.rule, v.op,
                     v.message);
}

}  // namespace rmaplab::report
