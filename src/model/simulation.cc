// Simulation: a script applied to the model, operation by operation, with
// what each operation did recorded the way `rmaplab verify` records the
// kernel (see include/rmaplab/run.h).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "check/check.h"
#include "model/machine.h"
#include "model/rmap.h"
#include "rmaplab/run.h"

namespace rmaplab {

std::string errno_name(int error) {
  switch (-error) {
    case 0:
      return "ok";
    case EPERM:
      return "EPERM";
    case ENOMEM:
      return "ENOMEM";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case EAGAIN:
      return "EAGAIN";
    case EEXIST:
      return "EEXIST";
    case EACCES:
      return "EACCES";
    case EBUSY:
      return "EBUSY";
    case ESRCH:
      return "ESRCH";
    default:
      return fmt::format("E{}", -error);
  }
}

namespace {

std::vector<ProcessRecord> layout_of(const model::Machine& m, const Script& script) {
  std::vector<ProcessRecord> out;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    ProcessRecord p;
    p.name = script.procs[mm->slot];
    p.slot = mm->slot;
    mm->for_each_vma([&](const model::vm_area_struct& v) {
      p.vmas.push_back({v.vm_start, v.vm_end, v.maps_prot(), v.vm_pgoff,
                        v.anon_vma ? v.anon_vma->id() : 0,
                        static_cast<std::uint32_t>(v.anon_vma_chain.size())});
      mm->ptes.for_each_present(
          v.vm_start, v.vm_end, [&](std::uint32_t page, const model::folio* f) {
            const bool zero = model::is_zero_page(f);
            p.pages.push_back(
                {page, zero ? 0 : f->id, zero, !f->is_anon(), zero ? 0 : f->mapcount});
          });
    });
    out.push_back(std::move(p));
  }
  return out;
}

// See Metrics (run.h). A folio whose anon_vma was freed (a use-after-free
// only a broken rule set produces) has no walk to measure.
Metrics metrics_of(const model::Machine& m) {
  Metrics out;
  std::size_t faulted = 0, avcs = 0;
  std::unordered_set<const model::folio*> walked;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    mm->for_each_vma([&](const model::vm_area_struct& v) {
      const auto chain = static_cast<std::uint32_t>(v.anon_vma_chain.size());
      out.max_chain = std::max(out.max_chain, chain);
      if (v.anon_vma) ++faulted;
      avcs += chain;
      mm->ptes.for_each_present(v.vm_start, v.vm_end, [&](std::uint32_t, const model::folio* f) {
        if (model::is_zero_page(f) || !f->is_anon() || !walked.insert(f).second) return;
        if (!m.env().is_live(f->mapping, f->mapping_id)) return;
        const auto walk = static_cast<std::uint32_t>(model::rmap_walk_anon(*f).size());
        out.max_walk = std::max(out.max_walk, walk);
      });
    });
  }
  out.avc_per_vma = faulted ? static_cast<double>(avcs) / static_cast<double>(faulted) : 0;
  return out;
}

}  // namespace

Simulation::Simulation(const Script& script, RunOptions options)
    : script_(script),
      options_(options),
      env_(std::make_unique<model::Env>(
          model::Env::Options{true, options.fail_alloc, options.profile})),
      machine_(std::make_unique<model::Machine>(*env_)) {}

Simulation::~Simulation() = default;

bool Simulation::done() const {
  if (next_ >= script_.ops.size()) return true;
  // Stop before the first operation past the line (which may be a comment).
  return options_.stop_after_line > 0 && script_.ops[next_].line > options_.stop_after_line;
}

const model::Machine& Simulation::machine() const { return *machine_; }

Result<OpRecord> Simulation::step() {
  const Op& op = script_.ops[next_++];
  const std::size_t first_event = env_->events().size();
  const model::LockCounts locks_before = env_->lock_counts();
  const model::OpResult r = machine_->apply(op);
  if (r.fault) {
    const bool write = op.verb == Verb::write;
    const char* why =
        model::access_fault(*machine_->process(op.proc), *machine_, r.fault_page, write);
    return Error{
        fmt::format("{}:{}:{}: {} {} page {}, which is {}: the real process would be killed",
                    script_.file, op.line, op.arg_column, script_.procs[op.proc],
                    write ? "writes" : "reads", r.fault_page, why ? why : "inaccessible")};
  }
  OpRecord rec;
  rec.line = op.line;
  rec.text = format_op(script_, op);
  // A fault that cannot allocate returns VM_FAULT_OOM, not an errno.
  const bool fault = op.verb == Verb::read || op.verb == Verb::write;
  rec.result = fault && r.error == -ENOMEM ? "OOM" : errno_name(r.error);
  const auto& events = env_->events();
  for (std::size_t i = first_event; i < events.size(); ++i) {
    const model::Event& e = events[i];
    const bool alloc = e.type == model::EventType::alloc;
    const bool av = e.kind == model::ObjectKind::anon_vma;
    (av ? (alloc ? rec.anon_vma_alloc : rec.anon_vma_free)
        : (alloc ? rec.avc_alloc : rec.avc_free))++;
    rec.events.push_back({alloc, av, std::string(model::to_string(e.site)), e.id});
  }
  rec.live_anon_vma = env_->live_anon_vmas();
  rec.live_avc = env_->live_avcs();
  if (options_.layouts) rec.layout = layout_of(*machine_, script_);
  for (int i = 0; i < model::kLocks; ++i)
    rec.locks[std::string(model::to_string(static_cast<model::Lock>(i)))] =
        env_->lock_counts()[i] - locks_before[i];
  if (options_.metrics) rec.metrics = metrics_of(*machine_);
  return rec;
}

std::optional<Violation> Simulation::check() const {
  auto finding = check_invariants(*machine_, script_.procs);
  if (!finding) return std::nullopt;
  Violation v{finding->rule, finding->message, 0, ""};
  if (next_ > 0) {
    const Op& op = script_.ops[next_ - 1];
    v.line = op.line;
    v.op = format_op(script_, op);
  }
  return v;
}

Result<RunReport> run_script(const Script& script, const RunOptions& options) {
  Simulation sim(script, options);
  RunReport report;
  report.profile = sim.machine().env().profile().name;
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) return rec.error();
    report.ops.push_back(std::move(rec.value()));
    if (options.check) {
      if (auto v = sim.check()) {
        report.violation = std::move(v);
        break;
      }
    }
  }
  report.live_anon_vma = sim.machine().env().live_anon_vmas();
  report.live_avc = sim.machine().env().live_avcs();
  return report;
}

}  // namespace rmaplab
