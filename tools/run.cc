// rmaplab run SCRIPT [--json] [--check] [--fail-alloc K | --fail-each] [--profile NAME]
//
// --fail-each: one run per allocation point (fuzz.h fail_each()), a line per
// point and a verdict; exit 1 if any point fails.
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.h"
#include "rmaplab/profile.h"
#include "rmaplab/fuzz.h"

namespace rmaplab::cli {

struct RunCommand {
  std::string script;  // "-": standard input
  bool json = false;
  bool check = false;
  std::uint64_t fail_alloc = 0;
  bool fail_each = false;
  bool metrics = false;
  std::uint64_t full_check_every = 0;
  std::string profile = "linux-6.18";
};

ExitCode run_fail_each(const RunCommand& o, const Script& script, const model::Profile* profile,
                       report::Reporter& reporter) {
  auto r = fail_each(script, profile);
  if (!r) {
    reporter.message(r.error().message);
    return ExitCode::usage;
  }
  if (o.json) {
    nlohmann::json points = nlohmann::json::array();
    for (const FailPoint& p : r->points)
      points.push_back({{"k", p.k},
                        {"line", p.line},
                        {"op", p.op},
                        {"result", p.result},
                        {"expected", p.expected},
                        {"skipped", p.skipped},
                        {"killed", p.killed},
                        {"problem", p.problem ? nlohmann::json(*p.problem) : nlohmann::json()}});
    reporter.print(
        nlohmann::json{{"allocations", r->allocations}, {"passed", r->passed()}, {"points", points}}
            .dump(2) +
        "\n");
    return r->passed() ? ExitCode::success : ExitCode::disagreement;
  }
  std::string out =
      fmt::format("{}: {} allocation point{}, one run each with that allocation failing\n",
                  script.file, r->allocations, r->allocations == 1 ? "" : "s");
  out += fmt::format("{:>5}  {:>4}  {:<24}  {:<6}  {:<12}  {}\n", "alloc", "line", "operation",
                     "result", "6.18 returns", "after");
  int failed = 0;
  for (const FailPoint& p : r->points) {
    std::string after = p.problem ? "FAIL" : "ok";
    if (p.skipped) after += fmt::format(", {} ops skipped", p.skipped);
    if (p.killed) after += fmt::format(", {} killed", p.killed);
    out += fmt::format("{:>5}  {:>4}  {:<24}  {:<6}  {:<12}  {}\n", p.k, p.line, p.op, p.result,
                       p.expected, after);
    if (p.problem) {
      out += fmt::format("       {}\n", *p.problem);
      ++failed;
    }
  }
  if (failed)
    out += fmt::format("{} of {} allocation points FAILED\n", failed, r->allocations);
  else
    out += fmt::format(
        "all {} passed: each failing operation returned what 6.18 returns, the checker held after "
        "every operation, and once every process had exited nothing was left\n",
        r->allocations);
  reporter.print(out);
  return failed ? ExitCode::disagreement : ExitCode::success;
}

ExitCode run_run(const RunCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  reporter.show_progress(isatty(STDERR_FILENO));
  auto script = load_script(o.script);
  if (!script) {
    reporter.message(script.error().message);
    return ExitCode::usage;
  }
  auto profile = find_profile(o.profile);
  if (!profile) {
    reporter.message(profile.error().message);
    return ExitCode::usage;
  }
  if (o.fail_each) return run_fail_each(o, *script, *profile, reporter);
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
  report::Progress progress(reporter, "run", script->ops.size());
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) {
      progress.end();
      stream.fail(rec.error());
      return ExitCode::usage;
    }
    stream.op(*rec);
    progress.tick(sim.next_op());
  }
  if (o.check) sim.check_all();
  progress.end();
  const RunSummary summary = sim.summary();
  stream.finish(summary);
  if (!reporter.ok()) return output_failed(reporter);
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
  app.add_option("--fail-alloc", o->fail_alloc,
                 "Make the K-th anon_vma/AVC allocation fail, as kmem_cache_alloc can")
      ->type_name("K")
      ->check(CLI::PositiveNumber);
  app.add_flag("--fail-each", o->fail_each,
               "Run once per allocation point, each time with that allocation failing: check the "
               "result, every invariant, and that exiting every process leaves nothing")
      ->excludes("--fail-alloc");
  app.add_flag("--metrics", o->metrics,
               "With --json: the hierarchy's metrics after every operation (each costs a walk of "
               "the whole state; the final state's are always there)");
  app.add_option("--full-check-every", o->full_check_every,
                 "With --check: also check the whole state every N operations (the operation's "
                 "own objects are checked after each, the whole state at the end)")
      ->type_name("N");
  add_profile_option(app, o->profile);
  return [o] { return run_run(*o); };
}

}  // namespace rmaplab::cli
