// A kernel run (rmaplab/kernel.h) in the reporters' terms: the same table as
// a model run; its JSON is the kernel runner's own to_json().
#include <algorithm>

#include "rmaplab/kernel.h"
#include "rmaplab/report.h"

namespace rmaplab::report {

namespace {

// The kernel's run in the table's terms. Its call sites are the functions
// the kernel named, which need not be ones the model knows.
std::string kernel_table(const Script& script, const kernel::Run& run) {
  RunReport rows;
  RunSummary summary;
  std::vector<std::pair<std::string, Counts>> sites;
  std::size_t live_anon_vma = 0, live_avc = 0;
  for (std::size_t i = 0; i < run.ops.size(); ++i) {
    const kernel::OpResult& k = run.ops[i];
    OpRecord op;
    op.line = k.line;
    op.text = i < script.ops.size() ? format_op(script, script.ops[i]) : std::string("?");
    op.result = k.result;
    for (const kernel::Event& e : k.events) {
      ++op.counts.of(e.type, e.kind);
      auto it = std::find_if(sites.begin(), sites.end(),
                             [&](const auto& s) { return s.first == e.call_site; });
      if (it == sites.end()) it = sites.insert(sites.end(), {e.call_site, Counts{}});
      ++it->second.of(e.type, e.kind);
    }
    live_anon_vma += op.counts.anon_vma_alloc - op.counts.anon_vma_free;
    live_avc += op.counts.avc_alloc - op.counts.avc_free;
    op.live_anon_vma = live_anon_vma;
    op.live_avc = live_avc;
    summary.total += op.counts;
    rows.ops.push_back(std::move(op));
  }
  summary.ops = run.ops.size();
  summary.live_anon_vma = run.live_anon_vma;
  summary.live_avc = run.live_avc;
  std::vector<std::pair<std::string_view, Counts>> named(sites.begin(), sites.end());
  return run_rows(rows) + table_summary(summary, {}) + call_site_lines(named);
}

}  // namespace

void Reporter::kernel_run(const Script& script, const kernel::Run& run) {
  if (format_ == Format::json) {
    write(out_, kernel::to_json(run).dump(2));
    return;
  }
  write(out_, "kernel " + run.kernel_release + "\n" + kernel_table(script, run));
}

}  // namespace rmaplab::report
