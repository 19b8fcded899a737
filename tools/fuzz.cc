// rmaplab fuzz [--seconds S] [--seed N] [--kernel] [--jobs J] [--scripts N]
//              [--profile NAME] [--against NAME] [--out FILE]
//
// Generated scripts through the model with the invariant checker after every
// operation (and with --kernel on the running kernel too, compared with the
// model), until the time is up or one fails. A failing script is shrunk,
// written to a file and printed; the exit code is then 1.
//
// On a terminal a status block on stderr shows the rate and the coverage of
// verbs and model paths, redrawn every second; otherwise a status line goes
// to stdout every minute. The summary at the end goes to stdout.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "command.h"
#include "rmaplab/profile.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/kernel.h"

namespace rmaplab::cli {

struct FuzzCommand {
  double seconds = 60;
  std::uint64_t seed = 0;
  bool seed_given = false;
  bool kernel = false;
  int jobs = 1;
  std::uint64_t scripts = 0;
  std::string profile;
  std::string against;  // the reference rule set, if any
  std::string out;      // default: fuzz-failure-SEED.rml
};

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_fuzz_stop_signal(int) { g_stop = 1; }

std::string rate(double n, double seconds) {
  return seconds > 0 ? fmt::format("{:.0f}/s", n / seconds) : "-";
}

std::string count(std::uint64_t n) {
  if (n >= 1'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

// The status: one headline, the verbs, then the model paths (never-taken
// ones marked).
std::vector<std::string> status_lines(const FuzzStats& s) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{:.0f} s: {} scripts ({}), {} operations ({})", s.seconds, s.scripts,
                              rate(static_cast<double>(s.scripts), s.seconds), s.operations,
                              rate(static_cast<double>(s.operations), s.seconds)));
  std::string verbs = "  verbs:";
  for (int v = 0; v < kVerbs; ++v)
    verbs += fmt::format(" {} {}", to_string(static_cast<Verb>(v)), count(s.verbs[v]));
  lines.push_back(verbs);
  int taken = 0;
  for (int p = 0; p < kCoverPaths; ++p) taken += s.paths[p] ? 1 : 0;
  lines.push_back(fmt::format("  model paths taken: {} of {}", taken, kCoverPaths));
  std::string row;
  for (int p = 0; p < kCoverPaths; ++p) {
    const std::string cell =
        fmt::format("{} {}", cover_path_name(p), s.paths[p] ? count(s.paths[p]) : "NEVER");
    if (row.size() + cell.size() > 100) {
      lines.push_back(row);
      row.clear();
    }
    row += (row.empty() ? "    " : "  |  ") + cell;
  }
  if (!row.empty()) lines.push_back(row);
  return lines;
}

// Redraws the status block in place on a terminal.
class Status {
 public:
  explicit Status(bool tty) : tty_(tty) {}
  void show(const FuzzStats& s) {
    const auto lines = status_lines(s);
    if (tty_) {
      std::string out;
      if (drawn_) out += fmt::format("\x1b[{}A", drawn_);
      for (const auto& l : lines) out += "\r\x1b[2K" + l + "\n";
      std::cerr << out << std::flush;
      drawn_ = static_cast<int>(lines.size());
    } else if (s.seconds >= next_line_) {
      std::cout << "fuzz: " << lines[0] << std::endl;
      next_line_ = s.seconds + 60;
    }
  }
  void clear() {
    if (tty_ && drawn_) std::cerr << fmt::format("\x1b[{}A\x1b[J", drawn_) << std::flush;
    drawn_ = 0;
  }

 private:
  bool tty_;
  int drawn_ = 0;
  double next_line_ = 60;
};

}  // namespace

ExitCode run_fuzz(const FuzzCommand& o) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  FuzzOptions f;
  f.seed = o.seed_given ? o.seed : std::random_device{}() % 1000000000;
  f.seconds = o.seconds;
  f.max_scripts = o.scripts;
  f.kernel = o.kernel;
  f.jobs = o.jobs;
  if (!o.profile.empty()) {
    auto p = find_profile(o.profile);
    if (!p) {
      reporter.message(p.error().message);
      return ExitCode::usage;
    }
    f.profile = *p;
  }
  if (!o.against.empty()) {
    auto p = find_profile(o.against);
    if (!p) {
      reporter.message(p.error().message);
      return ExitCode::usage;
    }
    f.reference = *p;
  }
  std::string kernel_release;
  if (o.kernel) {
    if (auto probe = kernel::probe(); !probe) {
      reporter.message(probe.error().message);
      return ExitCode::unobservable;
    }
  }

  std::cout << fmt::format("rmaplab fuzz: seed {}, {} job{}, model {}{}{}, {}\n", f.seed, f.jobs,
                           f.jobs == 1 ? "" : "s", f.profile ? f.profile->name : kModelName,
                           f.reference ? fmt::format(", against {}", f.reference->name) : "",
                           o.kernel ? ", against the running kernel" : "",
                           f.seconds > 0 ? fmt::format("for {} s", f.seconds) : "no time limit")
            << std::flush;

  Status status(isatty(STDERR_FILENO));
  f.progress = [&](const FuzzStats& s) { status.show(s); };
  f.stop = &g_stop;
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_fuzz_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  auto result = fuzz(f);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  status.clear();
  if (!result) {
    reporter.message("rmaplab fuzz: " + result.error().message);
    return o.kernel ? ExitCode::unobservable : ExitCode::disagreement;
  }

  std::ostringstream out;
  for (const std::string& l : status_lines(result->stats)) out << l << "\n";
  if (!result->finding) {
    out << (g_stop ? "stopped early; " : "") << "no failure found\n";
    reporter.print(out.str());
    return ExitCode::success;
  }
  const FuzzFinding& x = *result->finding;
  const std::string file = o.out.empty() ? fmt::format("fuzz-failure-{}.rml", x.seed) : o.out;
  out << fmt::format("\nFAILURE: seed {}: {}\n", x.seed, describe(x.failure));
  out << fmt::format("the script: rmaplab gen --seed {} --procs {} --ops {}{}\n", x.gen.seed,
                     x.gen.procs, x.gen.ops, o.profile.empty() ? "" : " --profile " + o.profile);
  out << fmt::format("shrunk from {} to {} operations ({} candidates tried, {} kept)", x.gen.ops,
                     x.shrunk_ops, x.shrink.candidates, x.shrink.accepted);
  std::ofstream os(file);
  os << x.shrunk;
  os.close();
  out << (os ? fmt::format(", written to {}:\n\n", file)
             : fmt::format(" (could not write {}):\n\n", file));
  out << x.shrunk << "\n" << describe(x.shrunk_failure) << "\n";
  std::string replay;
  const std::string profile = o.profile.empty() ? "" : " --profile " + o.profile;
  switch (x.failure.kind) {
    case Failure::Kind::violation:
      replay = "run --check" + profile;
      break;
    case Failure::Kind::disagreement:
      replay = "verify";
      break;
    case Failure::Kind::alloc_failure:
      replay = "run --fail-each";
      break;
    case Failure::Kind::divergence:
      replay = fmt::format("diff --semantic --profile {} --profile {}",
                           o.profile.empty() ? std::string(kModelName) : o.profile, o.against);
      break;
  }
  out << fmt::format("replay: rmaplab {} {}\n", replay, file);
  reporter.print(out.str());
  return ExitCode::disagreement;
}

Runner setup_fuzz(CLI::App& app) {
  auto o = std::make_shared<FuzzCommand>();
  app.add_option("--seconds", o->seconds, "Stop after this long (0: no limit)")
      ->type_name("S")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option_function<std::uint64_t>(
         "--seed",
         [o](std::uint64_t s) {
           o->seed = s;
           o->seed_given = true;
         },
         "Script i is 'rmaplab gen' of seed N + i (default: a random N, printed)")
      ->type_name("N");
  app.add_flag("--kernel", o->kernel,
               "Also run every script on the running kernel (root) and compare it with the model");
  app.add_option("--jobs", o->jobs, "Worker processes")
      ->type_name("J")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--scripts", o->scripts, "Stop after this many scripts (0: no limit)")
      ->type_name("N");
  add_profile_option(app, o->profile);
  app.add_option("--against", o->against,
                 "Also run every script under this rule set; a semantic difference (result, "
                 "event counts, objects) is a failure")
      ->type_name("NAME");
  app.add_option("--out", o->out,
                 "Where to write a failing script (default: fuzz-failure-SEED.rml)")
      ->type_name("FILE");
  return [o] { return run_fuzz(*o); };
}

}  // namespace rmaplab::cli
