// rmaplab diff [SCRIPT...] [--generated N] --profile A --profile B
//              [--semantic] [--all] [--json]
//
// Runs each script under two profiles in lockstep and shows, per operation,
// what differs (rmaplab/diff.h): results, event counts and order, lock
// acquisitions, and the objects left behind; then the first divergence.
// With more than one script (or --generated N: generate_script with seeds
// 1..N and the generator's default options) it prints one line per script
// and the totals, per operation type.
//
// Exit: 0 if the runs are the same; 1 if they differ (with --semantic: only
// if they differ in more than lock counts and event order); 2 for a usage or
// script error.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "rmaplab/diff.h"
#include "rmaplab/gen.h"

namespace rmaplab::cli {

struct DiffCommand {
  std::vector<std::string> scripts;
  std::vector<std::string> profiles;
  int generated = 0;
  bool semantic = false;
  bool all = false;
  bool json = false;
};

ExitCode run_diff(const DiffCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  if (o.profiles.size() != 2) {
    reporter.message("rmaplab diff: give two profiles: --profile A --profile B");
    return ExitCode::usage;
  }
  if (o.scripts.empty() && o.generated == 0) {
    reporter.message("rmaplab diff: give a script (or --generated N)");
    return ExitCode::usage;
  }
  const model::Profile* p[2];
  for (int i = 0; i < 2; ++i) {
    auto found = find_profile(o.profiles[i]);
    if (!found) {
      reporter.message(found.error().message);
      return ExitCode::usage;
    }
    p[i] = *found;
  }

  std::vector<Script> scripts;
  for (const std::string& path : o.scripts) {
    auto s = load_script(path);
    if (!s) {
      reporter.message(s.error().message);
      return ExitCode::usage;
    }
    scripts.push_back(std::move(*s));
  }
  for (int seed = 1; seed <= o.generated; ++seed) {
    GenOptions g;
    g.seed = static_cast<std::uint64_t>(seed);
    auto s = parse_script(generate_script(g), fmt::format("seed-{}.rml", seed));
    if (!s) {
      reporter.message(s.error().message);
      return ExitCode::usage;
    }
    scripts.push_back(std::move(*s));
  }

  std::vector<ProfileComparison> comparisons;
  for (const Script& s : scripts) {
    auto c = compare_profiles(s, *p[0], *p[1]);
    if (!c) {
      reporter.message(c.error().message);
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
  if (o.json) {
    nlohmann::json doc = to_json(totals);
    doc["comparisons"] = nlohmann::json::array();
    for (const ProfileComparison& c : comparisons) doc["comparisons"].push_back(to_json(c));
    reporter.print(doc.dump(2));
    return code;
  }
  std::string out;
  std::size_t w = 0;
  for (const ProfileComparison& c : comparisons) w = std::max(w, c.file.size());
  // One line per script only for a handful; the totals say the rest.
  if (comparisons.size() <= 50) {
    for (const ProfileComparison& c : comparisons) {
      std::string what =
          c.same() ? "same" : fmt::format("{} of {} ops differ", c.differences, c.ops.size());
      if (!c.same())
        what += fmt::format("; first: line {} {}", c.divergence.line, to_string(c.divergence.kind));
      out += fmt::format("{:<{}}  {}{}\n", c.file, w, what, c.semantic() ? " (semantic)" : "");
    }
    out += "\n";
  }
  out += profile_totals_text(totals);
  reporter.print(out);
  return code;
}

Runner setup_diff(CLI::App& app) {
  auto o = std::make_shared<DiffCommand>();
  app.add_option("scripts", o->scripts, "Workload scripts (.rml); '-' reads standard input");
  app.add_option("--profile", o->profiles, "A profile; give exactly two (see rmaplab profiles)")
      ->type_name("NAME")
      ->required();
  app.add_option("--generated", o->generated,
                 "Also compare generate_script's scripts for seeds 1..N (default options)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_flag("--semantic", o->semantic,
               "Exit 1 only for differences beyond lock counts and event order");
  app.add_flag("--all", o->all, "List every operation, not only those that differ");
  app.add_flag("--json", o->json, "Print JSON instead of text");
  return [o] { return run_diff(*o); };
}

}  // namespace rmaplab::cli
