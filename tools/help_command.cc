// rmaplab help [SUBCOMMAND]
#include <iostream>
#include <memory>

#include "command.h"
#include "rmaplab/printable.h"

namespace rmaplab::cli {

struct HelpCommand {
  std::string subcommand;  // empty: the whole command
};

ExitCode run_help(const HelpCommand& o, const CLI::App& rmaplab) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  if (o.subcommand.empty()) {
    // Not rmaplab.help(): that explains the selected subcommand, "help" itself.
    reporter.print(rmaplab.get_formatter()->make_help(&rmaplab, rmaplab.get_name(),
                                                      CLI::AppFormatMode::Normal));
    return ExitCode::success;
  }
  std::vector<std::string> names;
  for (const Subcommand& s : subcommands()) {
    if (s.name == o.subcommand) {
      reporter.print(rmaplab.get_subcommand(std::string(s.name))->help("rmaplab"));
      return ExitCode::success;
    }
    names.emplace_back(s.name);
  }
  reporter.message("rmaplab help: unknown subcommand '" + printable(o.subcommand) + "'" +
                   suggestion(o.subcommand, names));
  return ExitCode::usage;
}

Runner setup_help(CLI::App& app) {
  auto o = std::make_shared<HelpCommand>();
  app.add_option("subcommand", o->subcommand, "The subcommand to explain");
  const CLI::App* rmaplab = app.get_parent();
  return [o, rmaplab] { return run_help(*o, *rmaplab); };
}

}  // namespace rmaplab::cli
