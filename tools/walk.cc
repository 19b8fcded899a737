// rmaplab walk SCRIPT [--at LINE] PROC PAGE [--json] [--profile NAME]
#include <iostream>
#include <memory>

#include "command.h"
#include "rmaplab/state.h"

namespace rmaplab::cli {

struct WalkCommand {
  std::string script;
  int at = 0;  // 0: after the last line
  std::string process;
  std::uint32_t page = 0;
  bool json = false;
  std::string profile = "linux-6.18";
};

ExitCode run_walk(const WalkCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  auto state = state_at(o.script, o.profile, o.at);
  if (!state) {
    reporter.message(state.error().message);
    return ExitCode::usage;
  }
  Simulation& sim = *state.value()->sim;
  auto walk = report::walk_page(State(sim), o.process, o.page);
  if (!walk) {
    reporter.message(walk.error().message);
    return ExitCode::usage;
  }
  reporter.walk(*walk);
  return ExitCode::success;
}

Runner setup_walk(CLI::App& app) {
  auto o = std::make_shared<WalkCommand>();
  app.add_option("script", o->script, "Workload script (.rml); '-' reads standard input")
      ->required();
  app.add_option("process", o->process, "The process that maps the folio")->required();
  app.add_option("page", o->page, "The arena page it maps the folio at")->required();
  app.add_option("--at", o->at, "Walk in the state after this line (default: the end)")
      ->type_name("LINE")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", o->json, "Print the walk as JSON");
  add_profile_option(app, o->profile);
  return [o] { return run_walk(*o); };
}

}  // namespace rmaplab::cli
