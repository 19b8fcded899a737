// fail_each(): one run per allocation point of a script (see fuzz.h and
// fail_alloc.h for what each run must show).
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "fuzz/fail_alloc.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/run.h"

namespace rmaplab {
namespace fuzz_internal {

std::vector<std::string_view> results_on_alloc_failure(Verb verb) {
  switch (verb) {
    case Verb::write:
      return {"OOM"};
    case Verb::fork:
    case Verb::munmap:
    case Verb::mprotect:
    case Verb::madvise:
      return {"ENOMEM"};
    case Verb::mmap:
    case Verb::mremap:
      return {"ENOMEM", "ok"};
    case Verb::spawn:
    case Verb::read:
    case Verb::exit:
      return {};
  }
  return {};
}

FailRun::FailRun(const Script& script, std::uint64_t fail_alloc, const model::Profile* profile)
    : script_(script), env_({false, fail_alloc, profile}), machine_(env_) {}

std::string FailRun::apply(const Op& op) {
  if (op.verb != Verb::spawn && !machine_.process(op.proc)) {
    ++skipped_;
    return "";
  }
  const model::OpResult r = machine_.apply(op);
  if (r.fault) {
    // SIGSEGV or SIGBUS: the process dies and its address space goes.
    Op exit = op;
    exit.verb = Verb::exit;
    machine_.apply(exit);
    ++killed_;
    return "killed";
  }
  const bool fault = op.verb == Verb::read || op.verb == Verb::write;
  return fault && r.error == -ENOMEM ? "OOM" : errno_name(r.error);
}

void FailRun::exit_all() {
  for (int slot = 0; slot < static_cast<int>(script_.procs.size()); ++slot) {
    if (!machine_.process(slot)) continue;
    Op exit;
    exit.verb = Verb::exit;
    exit.proc = slot;
    machine_.apply(exit);
  }
}

std::optional<Finding> FailRun::check() const { return check_invariants(machine_, script_.procs); }

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
  FailRun run(script, k, profile);
  for (const Op& op : script.ops) {
    const bool before = run.env().injected_failure();
    const std::string result = run.apply(op);
    if (!before && run.env().injected_failure()) {
      p.line = op.line;
      p.op = format_op(script, op);
      p.result = result;
      const auto ok = fuzz_internal::results_on_alloc_failure(op.verb);
      p.expected = joined(ok);
      if (std::find(ok.begin(), ok.end(), result) == ok.end()) {
        p.problem =
            fmt::format("line {} ({}) returned {} with allocation {} failing; 6.18 returns {}",
                        op.line, p.op, result, k, p.expected);
        p.rule = "result";
      }
    }
    if (auto f = run.check()) {
      p.problem = fmt::format("after line {} ({}): invariant {} broken: {}", op.line,
                              format_op(script, op), f->rule, f->message);
      p.rule = f->rule;
      break;
    }
  }
  if (!p.problem) {
    run.exit_all();
    if (auto f = run.check()) {
      p.problem = fmt::format("once every process has exited: invariant {} broken: {}", f->rule,
                              f->message);
      p.rule = f->rule;
    }
  }
  if (!p.problem && !run.env().injected_failure()) {
    p.problem = fmt::format("allocation {} was never made (the run without failure made it)", k);
    p.rule = "never made";
  }
  p.skipped = run.skipped();
  p.killed = run.killed();
  if (stats) {
    const auto& paths = run.env().paths();
    for (int i = 0; i < kCoverPaths; ++i) stats->paths[i] += paths[i];
  }
  return p;
}

std::optional<FailPoint> first_fail_point(const Script& script, const model::Profile* profile,
                                          std::string_view what) {
  RunOptions ro;
  ro.layouts = false;
  ro.profile = profile;
  Simulation clean(script, ro);
  while (!clean.done())
    if (!clean.step().ok()) return std::nullopt;
  const std::uint64_t n = clean.machine().env().allocations();
  for (std::uint64_t k = 1; k <= n; ++k) {
    FailPoint p = run_fail_point(script, k, profile, nullptr);
    if (p.problem && p.rule == what) return p;
  }
  return std::nullopt;
}

}  // namespace fuzz_internal

Result<FailEachReport> fail_each(const Script& script, const model::Profile* profile) {
  RunOptions ro;
  ro.layouts = false;
  ro.profile = profile;
  Simulation clean(script, ro);
  while (!clean.done()) {
    auto rec = clean.step();
    if (!rec) return rec.error();
  }
  FailEachReport report;
  report.allocations = clean.machine().env().allocations();
  for (std::uint64_t k = 1; k <= report.allocations; ++k)
    report.points.push_back(fail_point(script, k, profile));
  return report;
}

}  // namespace rmaplab
