// What rmaplab fuzz prints when it starts and when it ends.
#include <fmt/format.h>

#include "rmaplab/fuzz.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

// The summary goes to stdout, often a terminal: the status block's width.
constexpr std::size_t kSummaryWidth = 80;

std::string status_text(const FuzzStats& s) {
  std::string out;
  for (const std::string& l : fuzz_status_lines(s, kSummaryWidth)) out += l + "\n";
  return out;
}

// The rmaplab command that shows the failure again on the shrunk script.
std::string replay(const FuzzRun& run, const Failure& f) {
  const std::string profile = run.profile.empty() ? "" : " --profile " + run.profile;
  switch (f.kind) {
    case Failure::Kind::violation:
      return "run --check" + profile;
    case Failure::Kind::disagreement:
      return "verify";
    case Failure::Kind::alloc_failure:
      return "run --fail-each";
    case Failure::Kind::divergence:
      return fmt::format("diff --semantic --profile {} --profile {}",
                         run.profile.empty() ? std::string(model::kDefaultProfile) : run.profile,
                         run.against);
  }
  return "run --check" + profile;
}

}  // namespace

std::string fuzz_header(const FuzzRun& run) {
  return fmt::format("rmaplab fuzz: seed {}, {} job{}, model {}{}{}, {}\n", run.seed, run.jobs,
                     run.jobs == 1 ? "" : "s",
                     run.profile.empty() ? model::kDefaultProfile : run.profile,
                     run.against.empty() ? "" : fmt::format(", against {}", run.against),
                     run.kernel ? ", against the running kernel" : "",
                     run.seconds > 0 ? fmt::format("for {} s", run.seconds) : "no time limit");
}

std::string fuzz_totals(const FuzzStats& s, bool stopped) {
  return status_text(s) + (stopped ? "stopped early; " : "") + "no failure found\n";
}

std::string fuzz_finding_text(const FuzzRun& run, const FuzzStats& s, const FuzzFinding& x,
                              std::string_view file, bool written) {
  std::string out = status_text(s);
  out += fmt::format("\nFAILURE: seed {}: {}\n", x.seed, describe(x.failure));
  out +=
      fmt::format("the script: rmaplab gen --seed {} --procs {} --ops {}{}\n", x.gen.seed,
                  x.gen.procs, x.gen.ops, run.profile.empty() ? "" : " --profile " + run.profile);
  out += fmt::format("shrunk from {} to {} operations ({} candidates tried, {} kept)", x.gen.ops,
                     x.shrunk_ops, x.shrink.candidates, x.shrink.accepted);
  out += written ? fmt::format(", written to {}:\n\n", file)
                 : fmt::format(" (could not write {}):\n\n", file);
  out += x.shrunk + "\n" + describe(x.shrunk_failure) + "\n";
  out += fmt::format("replay: rmaplab {} {}\n", replay(run, x.failure), file);
  return out;
}

}  // namespace rmaplab::report
