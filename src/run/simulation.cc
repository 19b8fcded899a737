// The driver (include/rmaplab/run.h): a script applied to the model,
// operation by operation, with what each operation did recorded the way
// `rmaplab verify` records the kernel, and the checks of RunOptions.
#include <cerrno>

#include <fmt/format.h>

#include "check/check.h"
#include "model/machine.h"
#include "model/rule.h"
#include "rmaplab/errno_name.h"
#include "rmaplab/run.h"
#include "run/model_of.h"
#include "run/op_record.h"

namespace rmaplab {

Simulation::Simulation(const Script& script, RunOptions options)
    : script_(script), options_(options), model_(std::make_unique<run_internal::Model>(options)) {}

Simulation::~Simulation() = default;

bool Simulation::done() const {
  if (violation_ || next_ >= script_.ops.size()) return true;
  // Stop before the first operation past the line (which may be a comment).
  return options_.stop_after_line > 0 && script_.ops[next_].line > options_.stop_after_line;
}

const run_internal::Model& run_internal::model_of(const Simulation& sim) { return *sim.model_; }

run_internal::Model::Model(const RunOptions& options)
    : env(model::Env::Options{options.record_events, options.fail_alloc, options.profile}),
      machine(env) {}

Violation Simulation::violation_at(std::string rule, std::string message) const {
  Violation v{std::move(rule), std::move(message), 0, ""};
  if (next_ > 0) {
    const Op& op = script_.ops[next_ - 1];
    v.line = op.line;
    v.op = format_op(script_, op);
  }
  return v;
}

void Simulation::note_violation(std::string rule, std::string message) {
  violation_ = violation_at(std::move(rule), std::move(message));
}

std::optional<Violation> Simulation::check() const {
  if (auto finding = check_invariants(model_->machine, script_.procs))
    return violation_at(finding->rule, finding->message);
  return std::nullopt;
}

Result<OpRecord> Simulation::step() {
  const Op& op = script_.ops[next_++];
  model_->env.forget_events();
  if (options_.check)
    model_->env.reset_touched();  // what this operation changes, for check_touched
  run_internal::OpWatch watch(model_->env);
  OpRecord rec;
  rec.line = op.line;
  rec.text = format_op(script_, op);
  const bool access = op.verb == Verb::read || op.verb == Verb::write;
  if (options_.on_fault == OnFault::kill && op.verb != Verb::spawn &&
      !model_->machine.process(op.proc)) {
    // Killed earlier (or never forked): nothing to do, nothing to record.
    ++skipped_;
    rec.result = "skipped";
  } else {
    model::OpResult r;
    try {
      r = model_->machine.apply(op);
    } catch (const model::RuleBroken& broken) {
      // The operation stopped half way; what it did so far is recorded and
      // the run ends here. The model is not used again.
      ++applied_;
      note_violation(broken.rule, broken.message);
      violation_->during = true;
      rec.result = "stopped";
      watch.finish(rec, call_site_order_);
      return rec;
    }
    ++applied_;
    if (r.fault && options_.on_fault == OnFault::script_error) {
      const bool write = op.verb == Verb::write;
      const char* why = model::access_fault(*model_->machine.process(op.proc), model_->machine,
                                            r.fault_page, write);
      return Error{
          fmt::format("{}:{}:{}: {} {} page {}, which is {}: the real process would be killed",
                      script_.file, op.line, op.arg_column, script_.procs[op.proc],
                      write ? "writes" : "reads", r.fault_page, why ? why : "inaccessible")};
    }
    if (r.fault) {
      // SIGSEGV or SIGBUS: the process dies and its address space goes.
      Op exit = op;
      exit.verb = Verb::exit;
      model_->machine.apply(exit);
      ++killed_;
      rec.result = "killed";
    } else {
      // A fault that cannot allocate returns VM_FAULT_OOM, not an errno.
      rec.result = access && r.error == -ENOMEM ? "OOM" : result_name(r.error);
    }
  }
  watch.finish(rec, call_site_order_);
  run_internal::fill_layout(rec, model_->machine, script_, op, options_);
  if (options_.metrics) rec.metrics = run_internal::metrics_of(model_->machine);
  if (options_.check) {
    const bool full = options_.full_check_every && applied_ % options_.full_check_every == 0;
    auto finding = full ? check_invariants(model_->machine, script_.procs)
                        : check_touched(model_->machine, script_.procs);
    if (finding) note_violation(finding->rule, finding->message);
  }
  return rec;
}

void Simulation::exit_all() {
  for (int slot = 0; slot < static_cast<int>(script_.procs.size()); ++slot) {
    if (!model_->machine.process(slot)) continue;
    Op exit;
    exit.verb = Verb::exit;
    exit.proc = slot;
    model_->machine.apply(exit);
  }
}

const std::optional<Violation>& Simulation::check_all() {
  if (!violation_) {
    if (auto finding = check_invariants(model_->machine, script_.procs))
      note_violation(finding->rule, finding->message);
  }
  return violation_;
}

RunSummary Simulation::summary() const {
  RunSummary s;
  s.profile = std::string(model_->env.profile().name);
  s.ops = applied_ + skipped_;
  s.skipped = skipped_;
  s.killed = killed_;
  const auto& sites = model_->env.site_counts();
  for (CallSite site : call_site_order_) {
    const Counts& c = sites[static_cast<int>(site)];
    s.total += c;
    s.call_sites.emplace_back(site, c);
  }
  s.live_anon_vma = model_->env.live_anon_vmas();
  s.live_avc = model_->env.live_avcs();
  // A model stopped half way by a guard is not walked again.
  if (!violation_ || !violation_->during) s.metrics = run_internal::metrics_of(model_->machine);
  s.violation = violation_;
  return s;
}

Result<RunSummary> run_script(const Script& script, const RunOptions& options,
                              const std::function<void(const OpRecord&)>& on_op) {
  Simulation sim(script, options);
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) return rec.error();
    on_op(rec.value());
  }
  if (options.check) sim.check_all();
  return sim.summary();
}

Result<RunReport> run_script(const Script& script, const RunOptions& options) {
  RunReport report;
  auto summary = run_script(script, options, [&](const OpRecord& op) { report.ops.push_back(op); });
  if (!summary) return summary.error();
  report.profile = summary->profile;
  report.live_anon_vma = summary->live_anon_vma;
  report.live_avc = summary->live_avc;
  report.violation = summary->violation;
  return report;
}

}  // namespace rmaplab
