// rmaplab fuzz [--seconds S] [--seed N] [--kernel [IMAGE|NAME]] [--jobs J]
//              [--scripts N] [--profile NAME] [--against NAME] [--out FILE]
//
// Generated scripts through the model with the invariant checker after every
// operation (and with --kernel on the running kernel too, compared with the
// model; with --kernel IMAGE|NAME on that kernel booted under QEMU, where
// this same command runs), until the time is up or one fails. A failing
// script is shrunk, written to a file and printed; the exit code is then 1.
//
// On a terminal a status block on stderr shows the rate and the coverage of
// verbs and model paths, redrawn every second within the terminal's width;
// otherwise a status line goes to stdout every minute. The summary at the
// end goes to stdout. Stopped by SIGINT or SIGTERM without a finding, it
// exits 128 + the signal (130, 143) once its workers are gone.
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "command.h"
#include "guest_run.h"
#include "options.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/kernel.h"
#include "rmaplab/printable.h"
#include "rmaplab/profile.h"
#include "rmaplab/vm.h"

namespace rmaplab::cli {

struct FuzzCommand {
  double seconds = 60;
  std::uint64_t seed = 0;
  bool seed_given = false;
  bool kernel = false;
  std::string image;  // --kernel IMAGE|NAME: fuzz in a guest booting it
  std::string cache;  // where fetched kernels are kept
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

// The same fuzz inside a guest booting o.image: the guest runs this binary
// with the same options against its own kernel; its output is passed
// through, and the failing script it wrote comes back to where --out (or the
// default name) says. A guest that fails (console, timeout) is a failure.
ExitCode fuzz_in_guest(const FuzzCommand& o, report::Reporter& reporter) {
  vm::GuestJob job;
  job.bring_back = true;
  // The guest's own clock bounds the fuzzing; this bounds the boot, the
  // shrinking of a finding and a guest that hangs.
  job.timeout_s = o.seconds > 0 ? int(o.seconds) + 900 : 365 * 24 * 3600;
  const std::string out_name =
      o.out.empty() ? "" : std::filesystem::path(o.out).filename().string();
  job.args = {"fuzz",      "--kernel",
              "--seconds", fmt::format("{}", o.seconds),
              "--jobs",    fmt::format("{}", o.jobs)};
  if (o.seed_given) job.args.insert(job.args.end(), {"--seed", fmt::format("{}", o.seed)});
  if (o.scripts) job.args.insert(job.args.end(), {"--scripts", fmt::format("{}", o.scripts)});
  if (!o.profile.empty()) job.args.insert(job.args.end(), {"--profile", o.profile});
  if (!o.against.empty()) job.args.insert(job.args.end(), {"--against", o.against});
  if (!out_name.empty()) job.args.insert(job.args.end(), {"--out", out_name});
  auto ran = run_in_guest("fuzz", o.image, o.cache, job, reporter);
  if (const ExitCode* code = std::get_if<ExitCode>(&ran)) return *code;
  const vm::GuestResult& r = std::get<vm::GuestResult>(ran);
  for (const auto& [name, content] : r.files) {
    const std::string file = !o.out.empty() && name == out_name ? o.out : name;
    std::ofstream os(file);
    os << content;
    os.close();
    if (!os) {
      reporter.message(fmt::format("rmaplab fuzz: cannot write {}, the guest's failing script",
                                   printable(file)));
      return ExitCode::disagreement;
    }
    reporter.message(fmt::format(
        "the guest's failing script is {}; against that kernel again: rmaplab verify --kernel "
        "{}{} {}",
        printable(file), o.image, o.profile.empty() ? "" : " --profile " + o.profile,
        printable(file)));
  }
  reporter.message(guest_line(job, r));
  // The guest's exit code is fuzz's own (0 to 3, or stopped by a signal).
  const int code = r.exit_code;
  const bool fuzz_code = (code >= 0 && code <= 3) || code == 130 || code == 143;
  return fuzz_code ? static_cast<ExitCode>(code) : ExitCode::disagreement;
}

}  // namespace

ExitCode run_fuzz(const FuzzCommand& o) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  if (!o.image.empty()) return fuzz_in_guest(o, reporter);
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
  auto* kernel = app.add_option("--kernel", o->image,
                                "Also run every script on the running kernel (root), or on this "
                                "kernel image or 'rmaplab kernels' name booted under QEMU, and "
                                "compare it with the model")
                     ->expected(0, 1)
                     ->type_name("[IMAGE|NAME]");
  o->cache = vm::default_cache_dir();
  app.add_option("--cache", o->cache, "With --kernel NAME: where fetched kernels are kept")
      ->type_name("DIR");
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
  return [o, kernel] {
    o->kernel = kernel->count() > 0;
    return run_fuzz(*o);
  };
}

}  // namespace rmaplab::cli
