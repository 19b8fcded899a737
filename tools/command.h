// The rmaplab command's subcommands: one table, one file each.
//
// A subcommand file holds an options struct, a run_<cmd>() that takes it,
// and a setup function (the table's factory) that declares the options on
// the subcommand's CLI::App and returns the call to run_<cmd>() with them.
// Everything a subcommand shows goes through report::Reporter; what it
// returns is an ExitCode.
#pragma once

#include <memory>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "rmaplab/report.h"
#include "rmaplab/run.h"

namespace rmaplab::cli {

using Runner = std::function<ExitCode()>;

struct Subcommand {
  std::string_view name;
  std::string_view description;
  Runner (*setup)(CLI::App& app);
};

// The table, in the order `rmaplab --help` lists it.
std::span<const Subcommand> subcommands();

Runner setup_run(CLI::App& app);
Runner setup_show(CLI::App& app);
Runner setup_walk(CLI::App& app);
Runner setup_verify(CLI::App& app);
Runner setup_gen(CLI::App& app);
Runner setup_fuzz(CLI::App& app);
Runner setup_help(CLI::App& app);
Runner setup_profiles(CLI::App& app);
Runner setup_diff(CLI::App& app);
Runner setup_compare(CLI::App& app);
Runner setup_report(CLI::App& app);
Runner setup_kernels(CLI::App& app);
Runner setup_inspect(CLI::App& app);

// Up to three of `candidates` close to `word` (rmaplab/suggest.h), closest
// first; a prefix of a candidate counts as one edit.
std::vector<std::string> did_you_mean(std::string_view word,
                                      const std::vector<std::string>& candidates);
// " (did you mean 'run'?)" or "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);

// The profile called `name` (src/profile), or an error naming the
// profiles, with a "did you mean" where one is close.
Result<const model::Profile*> find_profile(std::string_view name);
// The profile that claims a kernel release ("6.12.117+deb13-cloud-amd64"),
// or an error that lists the claims.
Result<const model::Profile*> profile_for_release(std::string_view release);
// The scripts `args` names for `command` ("diff", "verify"): files and
// '-' as they are, each directory replaced by the .rml files in it (sorted
// by name, not recursive). Errors: a directory that cannot be listed or
// holds no script.
Result<std::vector<std::string>> script_paths(std::string_view command,
                                              const std::vector<std::string>& args);
// script_paths(), each loaded; the first that cannot be is the error.
Result<std::vector<Script>> load_scripts(std::string_view command,
                                         const std::vector<std::string>& args);
// Prints `dot`, or with `svg_path` renders it with Graphviz into that file
// ('-': on standard output): show's and inspect's --svg.
ExitCode print_graph(report::Reporter& reporter, const std::string& dot,
                     const std::string& svg_path);
// Declares --profile NAME on `app` (the rules the model runs under).
void add_profile_option(CLI::App& app, std::string& name);

// Applies the operations of `sim`'s script on lines up to and including
// `line` (0: all of them). An Error is a script error.
Status advance_to(Simulation& sim, int line);

// A script run in the model up to a line (show, walk). On the heap: the
// Simulation refers to the Script.
struct StateAt {
  Script script;
  std::unique_ptr<Simulation> sim;
};
// Loads `path`, resolves `profile` and runs up to `line` (0: the end). The
// Error is a usage or script error, worded for the user.
Result<std::unique_ptr<StateAt>> state_at(const std::string& path, std::string_view profile,
                                          int line);

}  // namespace rmaplab::cli
