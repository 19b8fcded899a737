// rmaplab: the command-line front end. main only wires the subcommand table
// (command.h) into CLI11, parses, and runs the chosen subcommand; usage
// errors exit with ExitCode::usage and a "did you mean" where one is close.
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "command.h"
#include "options.h"
#include "rmaplab/printable.h"
#include "rmaplab/vm.h"

#ifndef RMAPLAB_VERSION
#define RMAPLAB_VERSION "unknown"
#endif

namespace {

using rmaplab::ExitCode;
using rmaplab::printable;
using rmaplab::cli::finish_output;
using namespace rmaplab::cli;

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> subcommand_names() {
  std::vector<std::string> names;
  for (const Subcommand& s : subcommands()) names.emplace_back(s.name);
  return names;
}

// A command line that cannot be run: the message and the usage line of the
// (sub)command it was given to, on stderr.
int usage_error(const CLI::App& app, const std::string& message) {
  const bool top = app.get_parent() == nullptr;
  const std::string help =
      top ? app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal)
          : app.help("rmaplab");
  std::string usage;
  if (auto at = help.find("Usage: "); at != std::string::npos)
    usage = help.substr(at, help.find('\n', at) - at);
  rmaplab::report::Reporter(rmaplab::report::Format::text, std::cout, std::cerr)
      .message(message + "\n" + usage + "\n" +
               (top ? "Run 'rmaplab --help' for the subcommands."
                    : fmt::format("Run 'rmaplab help {}' for its options.", app.get_name())));
  return static_cast<int>(ExitCode::usage);
}

int run_cli(int argc, char** argv) {
  CLI::App app{
      "rmaplab: a laboratory for Linux 6.18's anonymous reverse mapping "
      "(anon_vma, anon_vma_chain, mm/rmap.c)",
      "rmaplab"};
  app.set_version_flag("--version", fmt::format("rmaplab {} (model: {})", RMAPLAB_VERSION,
                                                rmaplab::model::kDefaultProfile));
  app.require_subcommand(0, 1);
  app.allow_extras();
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Subcommand& s : subcommands()) {
    CLI::App* sub = app.add_subcommand(std::string(s.name), std::string(s.description));
    sub->allow_extras();
    runners.emplace_back(sub, s.setup(*sub));
  }
  app.footer(
      "A script is in the workload language (README.md); a line may be at most 4096 bytes.\n"
      "Run 'rmaplab help SUBCOMMAND' for a subcommand's options.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    const int code = app.exit(e);
    return static_cast<int>(finish_output("--help", static_cast<ExitCode>(code)));
  } catch (const CLI::CallForVersion& e) {
    const int code = app.exit(e);
    return static_cast<int>(finish_output("--version", static_cast<ExitCode>(code)));
  } catch (const CLI::ParseError& e) {
    const CLI::App* where = &app;
    for (auto& [sub, run] : runners)
      if (sub->parsed()) where = sub;
    const std::string prefix = where == &app ? "rmaplab" : "rmaplab " + where->get_name();
    // CLI11's own messages quote what was typed.
    return usage_error(*where, fmt::format("{}: {}", prefix, printable(e.what())));
  }

  // Unknown words: the first one left over is the one to explain.
  for (const std::string& extra : app.remaining()) {
    if (extra.starts_with("-"))
      return usage_error(app, fmt::format("rmaplab: unknown option '{}'{}", printable(extra),
                                          suggestion(extra, option_names(app))));
    return usage_error(app, fmt::format("rmaplab: unknown subcommand '{}'{}", printable(extra),
                                        suggestion(extra, subcommand_names())));
  }
  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    for (const std::string& extra : sub->remaining()) {
      const std::string prefix = "rmaplab " + sub->get_name();
      if (extra.starts_with("-") && extra != "-")
        return usage_error(*sub, fmt::format("{}: unknown option '{}'{}", prefix, printable(extra),
                                             suggestion(extra, option_names(*sub))));
      return usage_error(*sub,
                         fmt::format("{}: unexpected argument '{}'", prefix, printable(extra)));
    }
    return static_cast<int>(finish_output(sub->get_name(), run()));
  }
  return usage_error(app, "rmaplab: no subcommand given");
}

}  // namespace

int main(int argc, char** argv) {
  // In a QEMU guest of `rmaplab verify --kernel`, this binary is /init.
  if (rmaplab::vm::is_guest_init(argc, argv))
    rmaplab::vm::guest_main([](std::vector<std::string> args) {
      std::string self = "rmaplab";
      std::vector<char*> av{self.data()};
      for (std::string& a : args) av.push_back(a.data());
      av.push_back(nullptr);
      return run_cli(int(av.size() - 1), av.data());
    });
  return run_cli(argc, argv);
}
