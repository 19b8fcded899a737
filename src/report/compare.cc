// Model versus kernel (rmaplab/verify.h) in text and JSON.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/kernel.h"
#include "rmaplab/report.h"
#include "rmaplab/verify.h"

namespace rmaplab::report {
namespace {

std::string side(const std::string& result, const std::array<int, 4>& c) {
  return fmt::format("{} +{}/-{} +{}/-{}", result, c[0], c[1], c[2], c[3]);
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
