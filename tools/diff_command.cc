// rmaplab diff [SCRIPT|DIR...] [--generated N] --profile A --profile B
//              [--semantic] [--all] [--json]
//
// Runs each script under two profiles in lockstep and shows, per operation,
// what differs (rmaplab/diff.h): results, event counts and order, lock
// acquisitions, and the objects left behind; then the first divergence.
// A directory stands for the .rml scripts in it, sorted by name. With more
// than one script (or --generated N: generate_script with seeds 1..N and the
// generator's default options) it prints one line per script and the
// totals, per operation type (report.h diff_list_text).
//
// Exit: 0 if the runs are the same; 1 if they differ (with --semantic: only
// if they differ in more than lock counts and event order); 2 for a usage or
// script error (with --json also a JSON document on stdout, error_json).
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "options.h"
#include "rmaplab/diff.h"
#include "rmaplab/gen.h"

namespace rmaplab::cli {

struct DiffCommand {
  std::vector<std::string> scripts;  // files, directories, "-"
  std::vector<std::string> profiles;
  int generated = 0;
  bool semantic = false;
  bool all = false;
  bool json = false;
};

// Generated scripts held in memory at once, at most.
constexpr int kMaxGenerated = 1'000'000;

ExitCode run_diff(const DiffCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  if (o.profiles.size() != 2) {
    reporter.error("rmaplab diff: give two profiles: --profile A --profile B");
    return ExitCode::usage;
  }
  if (o.scripts.empty() && o.generated == 0) {
    reporter.error("rmaplab diff: give a script (or --generated N)");
    return ExitCode::usage;
  }
  const model::Profile* p[2];
  for (int i = 0; i < 2; ++i) {
    auto found = find_profile(o.profiles[i]);
    if (!found) {
      reporter.error(found.error().message);
      return ExitCode::usage;
    }
    p[i] = *found;
  }

  auto loaded = load_scripts("diff", o.scripts);
  if (!loaded) {
    reporter.error(loaded.error().message);
    return ExitCode::usage;
  }
  std::vector<Script> scripts = std::move(*loaded);
  for (int seed = 1; seed <= o.generated; ++seed) {
    GenOptions g;
    g.seed = static_cast<std::uint64_t>(seed);
    auto s = parse_script(generate_script(g), fmt::format("seed-{}.rml", seed));
    if (!s) {
      reporter.error(s.error().message);
      return ExitCode::usage;
    }
    scripts.push_back(std::move(*s));
  }

  std::vector<ProfileComparison> comparisons;
  for (const Script& s : scripts) {
    auto c = compare_profiles(s, *p[0], *p[1]);
    if (!c) {
      reporter.error(c.error().message);
      return ExitCode::usage;
    }
    comparisons.push_back(std::move(*c));
  }
  const bool differ = std::any_of(comparisons.begin(), comparisons.end(), [&](const auto& c) {
    return o.semantic ? c.semantic() : !c.same();
  });
  const ExitCode code = differ ? ExitCode::disagreement : ExitCode::success;

  if (comparisons.size() == 1) {
    reporter.print(o.json ? to_json(comparisons[0]).dump(2)
                          : profile_diff_text(comparisons[0], o.all));
    return code;
  }
  ProfileDiffTotals totals;
  for (const ProfileComparison& c : comparisons) totals.add(c);
  reporter.print(o.json ? report::diff_list_json(comparisons, totals).dump(2)
                        : report::diff_list_text(comparisons, totals));
  return code;
}

Runner setup_diff(CLI::App& app) {
  auto o = std::make_shared<DiffCommand>();
  app.add_option("scripts", o->scripts,
                 "Workload scripts (.rml) or directories of them; '-' reads standard input");
  app.add_option("--profile", o->profiles, "A profile; give exactly two (see rmaplab profiles)")
      ->type_name("NAME")
      ->required();
  add_number_option(app, "--generated", o->generated, 1, kMaxGenerated,
                    "Also compare generate_script's scripts for seeds 1..N (default options)")
      ->type_name("N");
  app.add_flag("--semantic", o->semantic,
               "Exit 1 only for differences beyond lock counts and event order");
  app.add_flag("--all", o->all, "List every operation, not only those that differ");
  app.add_flag("--json", o->json, "Print JSON instead of text");
  return [o] { return run_diff(*o); };
}

}  // namespace rmaplab::cli
