// fail_each(): one run per allocation point of a script (see fuzz.h and
// fail_alloc.h for what each run must show).
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "fuzz/fail_alloc.h"
#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/errno_name.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/run.h"
#include "run/model_of.h"

namespace rmaplab {
namespace fuzz_internal {

std::vector<std::string_view> results_on_alloc_failure(const Op& op) {
  switch (op.verb) {
    case Verb::write:
      return {"OOM"};
    case Verb::fork:
    case Verb::munmap:
    case Verb::mprotect:
    case Verb::madvise:
      return {"ENOMEM"};
    case Verb::mmap:
      return {"ENOMEM", "ok"};
    case Verb::mremap:
      if (op.b != op.a && op.n == op.m) return {"ENOMEM", "ok", "EFAULT"};  // remap_move
      return {"ENOMEM", "ok"};
    case Verb::spawn:
    case Verb::read:
    case Verb::exit:
      return {};
  }
  return {};
}

RunOptions fail_run_options(std::uint64_t k, const model::Profile* profile) {
  RunOptions ro;
  ro.check = true;
  ro.fail_alloc = k;
  ro.layouts = Layouts::none;
  ro.record_events = false;
  ro.on_fault = OnFault::kill;
  ro.profile = profile;
  return ro;
}

}  // namespace fuzz_internal

bool FailEachReport::passed() const {
  return std::none_of(points.begin(), points.end(), [](const FailPoint& p) { return p.problem; });
}

namespace {

std::string joined(const std::vector<std::string_view>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " or " : "") + std::string(v[i]);
  return out.empty() ? "no allocation" : out;
}

}  // namespace

FailPoint fail_point(const Script& script, std::uint64_t k, const model::Profile* profile) {
  return fuzz_internal::run_fail_point(script, k, profile, nullptr);
}

namespace fuzz_internal {

FailPoint run_fail_point(const Script& script, std::uint64_t k, const model::Profile* profile,
                         FuzzStats* stats) {
  FailPoint p;
  p.k = k;
  Simulation run(script, fail_run_options(k, profile));
  const model::Env& env = machine_of(run).env();
  while (!run.done()) {
    const Op& op = script.ops[run.next_op()];
    const bool before = env.injected_failure();
    auto rec = run.step();
    if (!rec) {  // not with OnFault::kill, but an Error is an Error
      p.problem = rec.error().message;
      p.rule = "script";
      break;
    }
    if (!before && env.injected_failure()) {
      p.line = op.line;
      p.op = rec->text;
      p.result = rec->result;
      const auto ok = fuzz_internal::results_on_alloc_failure(op);
      p.expected = joined(ok);
      if (std::find(ok.begin(), ok.end(), rec->result) == ok.end()) {
        p.problem =
            fmt::format("line {} ({}) returned {} with allocation {} failing; 6.18 returns {}",
                        op.line, p.op, rec->result, k, p.expected);
        p.rule = "result";
      }
    }
    if (const auto& v = run.violation()) {
      p.problem = fmt::format("after line {} ({}): invariant {} broken: {}", v->line, v->op,
                              v->rule, v->message);
      p.rule = v->rule;
    }
  }
  if (!p.problem) {
    run.exit_all();
    if (const auto& v = run.check_all()) {
      p.problem = fmt::format("once every process has exited: invariant {} broken: {}", v->rule,
                              v->message);
      p.rule = v->rule;
    }
  }
  if (!p.problem && !env.injected_failure()) {
    p.problem = fmt::format("allocation {} was never made (the run without failure made it)", k);
    p.rule = "never made";
  }
  const RunSummary s = run.summary();
  p.skipped = static_cast<int>(s.skipped);
  p.killed = static_cast<int>(s.killed);
  if (stats) {
    const auto& paths = env.paths();
    for (int i = 0; i < kCoverPaths; ++i) stats->paths[i] += paths[i];
  }
  return p;
}

std::optional<FailPoint> first_fail_point(const Script& script, const model::Profile* profile,
                                          std::string_view what) {
  RunOptions ro;
  ro.layouts = Layouts::none;
  ro.record_events = false;
  ro.profile = profile;
  Simulation clean(script, ro);
  while (!clean.done())
    if (!clean.step().ok()) return std::nullopt;
  const std::uint64_t n = machine_of(clean).env().allocations();
  for (std::uint64_t k = 1; k <= n; ++k) {
    FailPoint p = run_fail_point(script, k, profile, nullptr);
    if (p.problem && p.rule == what) return p;
  }
  return std::nullopt;
}

}  // namespace fuzz_internal

Result<FailEachReport> fail_each(const Script& script, const model::Profile* profile) {
  RunOptions ro;
  ro.layouts = Layouts::none;
  ro.record_events = false;
  ro.profile = profile;
  Simulation clean(script, ro);
  while (!clean.done()) {
    auto rec = clean.step();
    if (!rec) return rec.error();
  }
  FailEachReport report;
  report.allocations = machine_of(clean).env().allocations();
  for (std::uint64_t k = 1; k <= report.allocations; ++k)
    report.points.push_back(fail_point(script, k, profile));
  return report;
}

}  // namespace rmaplab
