// rmaplab walk SCRIPT [--at LINE] PROC PAGE [--json] [--profile NAME]
//
// With --json an error is also a JSON document on stdout (error_json).
#include <iostream>
#include <limits>
#include <memory>

#include "command.h"
#include "options.h"
#include "rmaplab/printable.h"
#include "rmaplab/state.h"

namespace rmaplab::cli {

struct WalkCommand {
  std::string script;
  int at = 0;  // 0: after the last line
  std::string process;
  std::uint32_t page = 0;
  bool json = false;
  std::string profile{model::kDefaultProfile};
};

ExitCode run_walk(const WalkCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  auto state = state_at(o.script, o.profile, o.at);
  if (!state) {
    reporter.error(state.error().message);
    return ExitCode::usage;
  }
  Simulation& sim = *state.value()->sim;
  // A name with control characters matches no process; the error shows it
  // escaped.
  auto walk = report::walk_page(State(sim), printable(o.process), o.page);
  if (!walk) {
    reporter.error(walk.error().message);
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
  add_number_option<std::uint32_t>(app, "page", o->page, 0,
                                   std::numeric_limits<std::uint32_t>::max(),
                                   "The arena page it maps the folio at")
      ->required();
  add_number_option(app, "--at", o->at, 1, std::numeric_limits<int>::max(),
                    "Walk in the state after this line (default: the end)")
      ->type_name("LINE");
  app.add_flag("--json", o->json, "Print the walk as JSON");
  add_profile_option(app, o->profile);
  return [o] { return run_walk(*o); };
}

}  // namespace rmaplab::cli
