// rmaplab fuzz [--seconds S] [--seed N] [--kernel] [--jobs J] [--scripts N]
//              [--profile NAME] [--against NAME] [--out FILE]
//
// Generated scripts through the model with the invariant checker after every
// operation (and with --kernel on the running kernel too, compared with the
// model), until the time is up or one fails. A failing script is shrunk,
// written to a file and printed; the exit code is then 1.
//
// On a terminal a status block on stderr shows the rate and the coverage of
// verbs and model paths, redrawn every second within the terminal's width;
// otherwise a status line goes to stdout every minute. The summary at the
// end goes to stdout. Stopped by SIGINT or SIGTERM without a finding, it
// exits 128 + the signal (130, 143) once its workers are gone.
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "command.h"
#include "options.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/kernel.h"
#include "rmaplab/printable.h"
#include "rmaplab/profile.h"

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

// Limits of the options: a year of fuzzing; a worker per core of a large machine.
constexpr double kMaxSeconds = 365.0 * 24 * 3600;
constexpr int kMaxJobs = 256;

namespace {

// The signal that asked to stop (SIGINT, SIGTERM), or 0.
volatile std::sig_atomic_t g_stop = 0;
void on_fuzz_stop_signal(int sig) { g_stop = sig; }

// Columns of the terminal on `fd`; 80 if it does not say.
std::size_t terminal_width(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// The status while fuzz runs: on a terminal, a block on stderr redrawn in
// place; otherwise a line on stdout every minute, and nothing redrawn.
class Progress {
 public:
  Progress(report::Reporter& reporter, bool tty)
      : reporter_(reporter), tty_(tty), width_(tty ? terminal_width(STDERR_FILENO) : 80) {}
  void show(const FuzzStats& s) {
    const auto lines = report::fuzz_status_lines(s, width_);
    if (tty_) {
      reporter_.status(block_.redraw(lines));
    } else if (s.seconds >= next_line_) {
      reporter_.print("fuzz: " + lines[0]);
      next_line_ = s.seconds + 60;
    }
  }
  void clear() {
    if (tty_) reporter_.status(block_.clear());
  }

 private:
  report::Reporter& reporter_;
  bool tty_;
  std::size_t width_;
  report::StatusBlock block_;
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
  if (o.kernel) {
    if (auto probe = kernel::probe(); !probe) {
      reporter.message(probe.error().message);
      return ExitCode::unobservable;
    }
  }

  report::FuzzRun run;
  run.seed = f.seed;
  run.jobs = f.jobs;
  run.profile = f.profile ? std::string(f.profile->name) : "";
  run.against = f.reference ? std::string(f.reference->name) : "";
  run.kernel = o.kernel;
  run.seconds = f.seconds;
  reporter.print(report::fuzz_header(run));

  Progress progress(reporter, isatty(STDERR_FILENO));
  f.progress = [&](const FuzzStats& s) { progress.show(s); };
  f.stop = &g_stop;
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_fuzz_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  auto result = fuzz(f);  // on a signal, it stops its workers and waits for them
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  progress.clear();
  if (!result) {
    reporter.message("rmaplab fuzz: " + result.error().message);
    return o.kernel ? ExitCode::unobservable : ExitCode::disagreement;
  }

  if (!result->finding) {
    reporter.print(report::fuzz_totals(result->stats, g_stop != 0));
    if (!g_stop) return ExitCode::success;
    // Killed by a CI timeout is not a pass: the shell's 128+signal.
    const int sig = g_stop;
    reporter.message(
        fmt::format("rmaplab fuzz: stopped by {} after {} scripts; no failure found "
                    "in them, but the run was not finished",
                    sig == SIGINT ? "SIGINT" : "SIGTERM", result->stats.scripts));
    return static_cast<ExitCode>(128 + sig);
  }
  const FuzzFinding& x = *result->finding;
  const std::string file = o.out.empty() ? fmt::format("fuzz-failure-{}.rml", x.seed) : o.out;
  std::ofstream os(file);
  os << x.shrunk;
  os.close();
  // The profile as given on the command line names the replay command.
  run.profile = o.profile;
  run.against = o.against;
  reporter.print(
      report::fuzz_finding_text(run, result->stats, x, printable(file), static_cast<bool>(os)));
  return ExitCode::disagreement;
}

Runner setup_fuzz(CLI::App& app) {
  auto o = std::make_shared<FuzzCommand>();
  add_number_option(app, "--seconds", o->seconds, 0.0, kMaxSeconds,
                    fmt::format("Stop after this long (0: no limit; at most {})", kMaxSeconds),
                    true)
      ->type_name("S");
  add_seed_option(app, o->seed, o->seed_given,
                  "Script i is 'rmaplab gen' of seed N + i (default: a random N, printed)");
  app.add_flag("--kernel", o->kernel,
               "Also run every script on the running kernel (root) and compare it with the model");
  add_number_option(app, "--jobs", o->jobs, 1, kMaxJobs,
                    fmt::format("Worker processes (1 to {})", kMaxJobs), true)
      ->type_name("J");
  add_number_option<std::uint64_t>(app, "--scripts", o->scripts, 0,
                                   std::numeric_limits<std::uint64_t>::max(),
                                   "Stop after this many scripts (0: no limit)")
      ->type_name("N");
  add_profile_option(app, o->profile);
  app.add_option("--against", o->against,
                 "Also run every script under this rule set; a semantic difference (result, "
                 "event counts, objects) is a failure")
      ->type_name("NAME");
  app.add_option("--out", o->out,
                 "Where to write a failing script (default: fuzz-failure-SEED.rml)")
      ->type_name("FILE");
  app.footer(
      "Exit: 0 nothing found, 1 a failure found (or the fuzzer failed), 2 usage, 3 the kernel "
      "cannot be observed; stopped by SIGINT or SIGTERM before the end: 130 or 143.");
  return [o] { return run_fuzz(*o); };
}

}  // namespace rmaplab::cli
