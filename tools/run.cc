// rmaplab run SCRIPT [--json] [--check] [--fail-alloc K] [--profile NAME]
#include <iostream>
#include <memory>

#include "command.h"

namespace rmaplab::cli {

struct RunCommand {
  std::string script;  // "-": standard input
  bool json = false;
  bool check = false;
  std::uint64_t fail_alloc = 0;
  std::string profile = "linux-6.18";
};

ExitCode run_run(const RunCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
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
  RunOptions options;
  options.profile = *profile;
  options.metrics = o.json;  // only the JSON shows them
  options.check = o.check;
  options.fail_alloc = o.fail_alloc;
  options.layouts = o.json;  // only the JSON shows them
  auto result = run_script(*script, options);
  if (!result) {
    reporter.message(result.error().message);
    return ExitCode::usage;
  }
  reporter.run(*script, *result, {o.check, o.fail_alloc});
  return result->violation ? ExitCode::disagreement : ExitCode::success;
}

Runner setup_run(CLI::App& app) {
  auto o = std::make_shared<RunCommand>();
  app.add_option("script", o->script, "Workload script (.rml); '-' reads standard input")
      ->required();
  app.add_flag("--json", o->json, "Print the JSON document (workload-language.md) instead of the table");
  app.add_flag("--check", o->check,
               "Check every invariant after every operation; stop at the first broken one (exit 1)");
  app.add_option("--fail-alloc", o->fail_alloc,
                 "Make the K-th anon_vma/AVC allocation fail, as kmem_cache_alloc can")
      ->type_name("K")
      ->check(CLI::PositiveNumber);
  add_profile_option(app, o->profile);
  return [o] { return run_run(*o); };
}

}  // namespace rmaplab::cli
