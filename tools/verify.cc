// rmaplab verify SCRIPT [--kernel-only] [--json]
//
// Runs the script on the running kernel with real processes (kernel.h) and,
// unless --kernel-only, in the model too, and compares the two operation by
// operation (verify.h). The model runs first either way, so that a script
// error is reported as one (exit 2) before any process is started.
#include <iostream>
#include <memory>

#include "command.h"
#include "rmaplab/kernel.h"
#include "rmaplab/verify.h"

namespace rmaplab::cli {

struct VerifyCommand {
  std::string script;
  bool kernel_only = false;
  bool json = false;
};

ExitCode run_verify(const VerifyCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  auto script = load_script(o.script);
  if (!script) {
    reporter.message(script.error().message);
    return ExitCode::usage;
  }
  RunOptions model_options;
  model_options.layouts = !o.kernel_only;  // the comparison checks layouts and pages
  auto model = run_script(*script, model_options);
  if (!model) {
    reporter.message(model.error().message);
    return ExitCode::usage;
  }
  if (auto probe = kernel::probe(); !probe) {
    reporter.message(probe.error().message);
    return ExitCode::unobservable;
  }
  kernel::Options kernel_options;
  kernel_options.snapshot = !o.kernel_only;
  auto run = kernel::run(*script, kernel_options);
  if (!run) {
    reporter.message(run.error().message);
    return ExitCode::unobservable;
  }
  if (o.kernel_only) {
    reporter.kernel_run(*script, *run);
    return ExitCode::success;
  }
  const Comparison c = compare_runs(*script, *model, *run);
  reporter.comparison(*script, c, *run);
  return c.agree() ? ExitCode::success : ExitCode::disagreement;
}

Runner setup_verify(CLI::App& app) {
  auto o = std::make_shared<VerifyCommand>();
  app.add_option("script", o->script, "Workload script (.rml); '-' reads standard input")
      ->required();
  app.add_flag("--kernel-only", o->kernel_only,
               "Only run on the kernel and print its counts (the language's JSON with --json)");
  app.add_flag("--json", o->json, "Print JSON instead of a table");
  return [o] { return run_verify(*o); };
}

}  // namespace rmaplab::cli
