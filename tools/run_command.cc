// rmaplab run SCRIPT [--json] [--check] [--fail-alloc K | --fail-each] [--profile NAME]
//
// --fail-each: one run per allocation point (fuzz.h fail_each()), a line per
// point and a verdict (report.h fail_each_text); exit 1 if any point fails.
// With --json an error is also a JSON document on stdout (report.h
// error_json).
#include <unistd.h>

#include <iostream>
#include <limits>
#include <memory>

#include "command.h"
#include "options.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/profile.h"

namespace rmaplab::cli {

struct RunCommand {
  std::string script;  // "-": standard input
  bool json = false;
  bool check = false;
  std::uint64_t fail_alloc = 0;
  bool fail_each = false;
  bool metrics = false;
  std::uint64_t full_check_every = 0;
  std::string profile{model::kDefaultProfile};
};

ExitCode run_fail_each(const Script& script, const model::Profile* profile,
                       report::Reporter& reporter) {
  auto r = fail_each(script, profile);
  if (!r) {
    reporter.error(r.error().message);
    return ExitCode::usage;
  }
  reporter.fail_each(script, *r);
  return r->passed() ? ExitCode::success : ExitCode::disagreement;
}

ExitCode run_run(const RunCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  auto script = load_script(o.script);
  if (!script) {
    reporter.error(script.error().message);
    return ExitCode::usage;
  }
  auto profile = find_profile(o.profile);
  if (!profile) {
    reporter.error(profile.error().message);
    return ExitCode::usage;
  }
  if (o.fail_each) return run_fail_each(*script, *profile, reporter);
  RunOptions options;
  options.profile = *profile;
  options.check = o.check;
  options.full_check_every = o.full_check_every;
  options.fail_alloc = o.fail_alloc;
  // Only the JSON shows layouts and metrics.
  options.layouts = o.json ? Layouts::window : Layouts::none;
  options.pages = false;
  options.metrics = o.json && o.metrics;
  Simulation sim(*script, options);
  report::RunStream stream(reporter, *script, (*profile)->name, 0, {o.check, o.fail_alloc});
  // On a terminal the rows are the progress; redirected, a line on stderr.
  report::ProgressLine progress(isatty(STDOUT_FILENO) ? -1 : STDERR_FILENO, script->ops.size(),
                                "run");
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) {
      progress.clear();
      stream.fail(rec.error());
      return ExitCode::usage;
    }
    stream.op(*rec);
    if ((sim.next_op() & 1023) == 0) progress.update(sim.next_op());  // reads the clock
  }
  if (o.check) sim.check_all();
  progress.clear();
  const RunSummary summary = sim.summary();
  stream.finish(summary);  // a failed write is main's finish_output()'s to report
  return summary.violation ? ExitCode::disagreement : ExitCode::success;
}

Runner setup_run(CLI::App& app) {
  auto o = std::make_shared<RunCommand>();
  app.add_option("script", o->script, "Workload script (.rml); '-' reads standard input")
      ->required();
  app.add_flag("--json", o->json,
               "Print the JSON document (workload-language.md) instead of the table");
  app.add_flag(
      "--check", o->check,
      "Check every invariant after every operation; stop at the first broken one (exit 1)");
  add_number_option<std::uint64_t>(
      app, "--fail-alloc", o->fail_alloc, 1, std::numeric_limits<std::uint64_t>::max(),
      "Make the K-th anon_vma/AVC allocation fail, as kmem_cache_alloc can (K from 1)")
      ->type_name("K");
  app.add_flag("--fail-each", o->fail_each,
               "Run once per allocation point, each time with that allocation failing: check the "
               "result, every invariant, and that exiting every process leaves nothing")
      ->excludes("--fail-alloc");
  app.add_flag("--metrics", o->metrics,
               "With --json: the hierarchy's metrics after every operation (each costs a walk of "
               "the whole state; the final state's are always there)");
  add_number_option<std::uint64_t>(
      app, "--full-check-every", o->full_check_every, 1, std::numeric_limits<std::uint64_t>::max(),
      "With --check: also check the whole state every N operations (the objects an operation "
      "touched are checked after it, the whole state at the end)")
      ->type_name("N");
  add_profile_option(app, o->profile);
  return [o] { return run_run(*o); };
}

}  // namespace rmaplab::cli
