// rmaplab show SCRIPT [--at LINE] [--svg FILE] [--profile NAME]
//
// The state as Graphviz DOT on standard output, or rendered to SVG in FILE
// ('-': on standard output).
#include <iostream>
#include <limits>
#include <memory>

#include "command.h"
#include "options.h"
#include "rmaplab/state.h"

namespace rmaplab::cli {

struct ShowCommand {
  std::string script;
  int at = 0;       // 0: after the last line
  std::string svg;  // empty: DOT on standard output; "-": SVG on standard output
  std::string profile{model::kDefaultProfile};
};

ExitCode run_show(const ShowCommand& o) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  auto state = state_at(o.script, o.profile, o.at);
  if (!state) {
    reporter.message(state.error().message);
    return ExitCode::usage;
  }
  Simulation& sim = *state.value()->sim;
  return print_graph(reporter, report::state_dot(State(sim)), o.svg);
}

Runner setup_show(CLI::App& app) {
  auto o = std::make_shared<ShowCommand>();
  app.add_option("script", o->script, "Workload script (.rml); '-' reads standard input")
      ->required();
  add_number_option(app, "--at", o->at, 1, std::numeric_limits<int>::max(),
                    "Show the state after this line (default: the end)")
      ->type_name("LINE");
  app.add_option("--svg", o->svg,
                 "Render with Graphviz's dot into this SVG file ('-': on standard output)")
      ->type_name("FILE");
  add_profile_option(app, o->profile);
  return [o] { return run_show(*o); };
}

}  // namespace rmaplab::cli
