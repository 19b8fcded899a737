// rmaplab gen [--seed N] [--procs P] [--ops K] [--profile NAME]
//
// A random valid workload (gen.h). The script's first line names the seed
// and options; the same command prints the same script on any machine.
#include <iostream>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "command.h"
#include "options.h"
#include "rmaplab/gen.h"
#include "rmaplab/profile.h"

namespace rmaplab::cli {

struct GenCommand {
  std::uint64_t seed = 0;
  bool seed_given = false;  // else a random seed, printed in the header
  int procs = GenOptions{}.procs;
  int ops = GenOptions{}.ops;
  std::string profile;  // empty: linux-6.18
};

ExitCode run_gen(const GenCommand& o) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  GenOptions g;
  g.seed = o.seed_given ? o.seed : std::random_device{}() % 1000000000;
  g.procs = o.procs;
  g.ops = o.ops;
  if (!o.profile.empty()) {
    auto p = find_profile(o.profile);
    if (!p) {
      reporter.message(p.error().message);
      return ExitCode::usage;
    }
    g.profile = *p;
  }
  reporter.print(generate_script(g));
  return ExitCode::success;
}

Runner setup_gen(CLI::App& app) {
  auto o = std::make_shared<GenCommand>();
  add_seed_option(
      app, o->seed, o->seed_given,
      "The seed (0 to 2^64-1); the same seed and options give the same script (default: a "
      "random seed, printed in the script's first line)");
  add_number_option(app, "--procs", o->procs, 1, kMaxProcs,
                    fmt::format("Processes alive at once, at most (1 to {})", kMaxProcs), true)
      ->type_name("P");
  add_number_option(app, "--ops", o->ops, 1, kMaxOps, fmt::format("Operations (1 to {})", kMaxOps),
                    true)
      ->type_name("K");
  app.add_option("--profile", o->profile,
                 "The rules the script must be valid under (default: linux-6.18)")
      ->type_name("NAME");
  return [o] { return run_gen(*o); };
}

}  // namespace rmaplab::cli
