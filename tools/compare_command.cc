// rmaplab compare [SCRIPT|DIR...] [--generated N] --profile A --profile B ...
//                 [--each] [--json]
//
// Runs every workload under each profile or design (rmaplab/compare.h) and
// prints one table per workload, or, with more than one workload, the total
// (with --each, every workload's table first). Exit: 0 when every run kept
// every invariant, 1 when one broke, 2 for a usage or script error.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "options.h"
#include "rmaplab/compare.h"
#include "rmaplab/gen.h"

namespace rmaplab::cli {

struct CompareCommand {
  std::vector<std::string> scripts;
  std::vector<std::string> profiles;
  int generated = 0;
  bool each = false;
  bool json = false;
};

constexpr int kMaxGenerated = 1'000'000;

ExitCode run_compare(const CompareCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  if (o.profiles.size() < 2) {
    reporter.error("rmaplab compare: give at least two profiles: --profile A --profile B");
    return ExitCode::usage;
  }
  if (o.scripts.empty() && o.generated == 0) {
    reporter.error("rmaplab compare: give a script or directory (or --generated N)");
    return ExitCode::usage;
  }
  std::vector<const model::Profile*> profiles;
  for (const std::string& name : o.profiles) {
    auto found = find_profile(name);
    if (!found) {
      reporter.error(found.error().message);
      return ExitCode::usage;
    }
    profiles.push_back(*found);
  }
  auto loaded = load_scripts("compare", o.scripts);
  if (!loaded) {
    reporter.error(loaded.error().message);
    return ExitCode::usage;
  }
  std::vector<WorkloadComparison> comparisons;
  bool broken = false;
  auto add = [&](const Script& s) {
    comparisons.push_back(compare_designs(s, profiles));
    for (const DesignRun& r : comparisons.back().runs) broken = broken || r.violation || r.error;
  };
  for (const Script& s : *loaded) add(s);
  for (int seed = 1; seed <= o.generated; ++seed) {
    GenOptions g;
    g.seed = static_cast<std::uint64_t>(seed);
    auto s = parse_script(generate_script(g), fmt::format("seed-{}.rml", seed));
    if (!s) {
      reporter.error(s.error().message);
      return ExitCode::usage;
    }
    add(*s);
  }
  const ExitCode code = broken ? ExitCode::disagreement : ExitCode::success;
  const bool single = comparisons.size() == 1;
  const WorkloadComparison total =
      single ? comparisons[0]
             : total_of(comparisons, fmt::format("{} workloads", comparisons.size()));
  if (o.json) {
    nlohmann::json doc = to_json(total);
    if (!single && o.each) {
      doc["each"] = nlohmann::json::array();
      for (const WorkloadComparison& c : comparisons) doc["each"].push_back(to_json(c));
    }
    reporter.print(doc.dump(2));
    return code;
  }
  std::string out;
  if (!single && o.each)
    for (const WorkloadComparison& c : comparisons) out += compare_text(c) + "\n";
  reporter.print(out + compare_text(total));
  return code;
}

Runner setup_compare(CLI::App& app) {
  auto o = std::make_shared<CompareCommand>();
  app.add_option("scripts", o->scripts,
                 "Workload scripts (.rml) or directories of them; '-' reads standard input");
  app.add_option("--profile", o->profiles,
                 "A profile or design; give two or more (see rmaplab profiles)")
      ->type_name("NAME")
      ->allow_extra_args(false)  // one name per --profile: scripts may follow
      ->required();
  add_number_option(app, "--generated", o->generated, 1, kMaxGenerated,
                    "Also run generate_script's scripts for seeds 1..N (default options)")
      ->type_name("N");
  app.add_flag("--each", o->each, "With several workloads, each one's table before the total");
  app.add_flag("--json", o->json, "Print JSON instead of text");
  return [o] { return run_compare(*o); };
}

}  // namespace rmaplab::cli
