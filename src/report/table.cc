// The text form of a run: one row per operation, then a summary.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

std::string delta(int alloc, int free) { return fmt::format("+{}/-{}", alloc, free); }

std::size_t op_width(const RunReport& report) {
  std::size_t w = std::string_view("operation").size();
  for (const OpRecord& op : report.ops) w = std::max(w, op.text.size());
  return w;
}

std::size_t result_width(const RunReport& report) {
  std::size_t w = std::string_view("result").size();
  for (const OpRecord& op : report.ops) w = std::max(w, op.result.size());
  return w;
}

// Column layout shared by the header and the rows.
std::string row(const RunReport& report, std::string_view line, std::string_view op,
                std::string_view result, std::string_view av, std::string_view avc,
                std::string_view live_av, std::string_view live_avc) {
  return fmt::format("{:>4}  {:<{}}  {:<{}}  {:>8}  {:>8}  {:>13}  {:>8}\n", line, op,
                     op_width(report), result, result_width(report), av, avc, live_av, live_avc);
}

std::string rows(const RunReport& report) {
  std::string out =
      row(report, "line", "operation", "result", "anon_vma", "AVC", "live anon_vma", "live AVC");
  for (const OpRecord& op : report.ops) {
    out += row(report, std::to_string(op.line), op.text, op.result,
               delta(op.anon_vma_alloc, op.anon_vma_free), delta(op.avc_alloc, op.avc_free),
               std::to_string(op.live_anon_vma), std::to_string(op.live_avc));
  }
  return out;
}

}  // namespace

std::string run_rows(const RunReport& report) { return rows(report); }

std::string run_table(const RunReport& report, const TableOptions& options) {
  std::string out = rows(report);
  Counts total;
  std::vector<EventRecord> events;
  for (const OpRecord& op : report.ops) {
    total += Counts{op.anon_vma_alloc, op.anon_vma_free, op.avc_alloc, op.avc_free};
    events.insert(events.end(), op.events.begin(), op.events.end());
  }
  out += fmt::format("\n{} operation{}\n", report.ops.size(), report.ops.size() == 1 ? "" : "s");
  out += fmt::format("anon_vma: {} allocated, {} freed, {} live at the end\n", total.anon_vma_alloc,
                     total.anon_vma_free, report.live_anon_vma);
  out += fmt::format("AVC:      {} allocated, {} freed, {} live at the end\n", total.avc_alloc,
                     total.avc_free, report.live_avc);
  const auto sites = call_site_totals(events);
  if (!sites.empty()) {
    std::size_t w = std::string_view("call site").size();
    for (const auto& [site, c] : sites) w = std::max(w, site.size());
    out += fmt::format("{:<{}}  {:>8}  {:>8}\n", "call site", w + 2, "anon_vma", "AVC");
    for (const auto& [site, c] : sites)
      out += fmt::format("  {:<{}}  {:>8}  {:>8}\n", site, w,
                         delta(c.anon_vma_alloc, c.anon_vma_free), delta(c.avc_alloc, c.avc_free));
  }
  if (options.fail_alloc) {
    // The failed allocation is no event, so whether it was reached is not
    // known from the counts alone: state the facts.
    out += fmt::format("injected: anon_vma/AVC allocation {} fails ({} allocations succeeded)\n",
                       options.fail_alloc, total.anon_vma_alloc + total.avc_alloc);
  }
  if (options.checked && !report.violation) out += "invariants checked after every operation: ok\n";
  return out;
}

std::string violation_sentence(std::string_view file, const Violation& v) {
  return fmt::format("{}:{}: invariant {} broken after '{}': {}", file, v.line, v.rule, v.op,
                     v.message);
}

}  // namespace rmaplab::report
