// A kernel run (rmaplab/kernel.h) in the reporters' terms: the same table as
// a model run; its JSON is the kernel runner's own to_json().
#include <ostream>

#include "rmaplab/kernel.h"
#include "rmaplab/report.h"

namespace rmaplab::report {

RunReport from_kernel(const Script& script, const kernel::Run& run) {
  RunReport r;
  std::size_t live_anon_vma = 0, live_avc = 0;
  for (std::size_t i = 0; i < run.ops.size(); ++i) {
    const kernel::OpResult& k = run.ops[i];
    OpRecord op;
    op.line = k.line;
    op.text = i < script.ops.size() ? format_op(script, script.ops[i]) : std::string("?");
    op.result = k.result;
    for (const kernel::Event& e : k.events) {
      const bool av = e.kind == kernel::ObjectKind::anon_vma;
      (av ? (e.alloc ? op.anon_vma_alloc : op.anon_vma_free)
          : (e.alloc ? op.avc_alloc : op.avc_free))++;
      op.events.push_back({e.alloc, av, e.call_site, e.id});
    }
    live_anon_vma += op.anon_vma_alloc - op.anon_vma_free;
    live_avc += op.avc_alloc - op.avc_free;
    op.live_anon_vma = live_anon_vma;
    op.live_avc = live_avc;
    r.ops.push_back(std::move(op));
  }
  r.live_anon_vma = run.live_anon_vma;
  r.live_avc = run.live_avc;
  return r;
}

void Reporter::kernel_run(const Script& script, const kernel::Run& run) {
  if (format_ == Format::json) {
    write(out_, kernel::to_json(run).dump(2));
    return;
  }
  write(out_, "kernel " + run.kernel_release + "\n" + run_table(from_kernel(script, run), {}));
}

}  // namespace rmaplab::report
