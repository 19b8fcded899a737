// rmaplab verify SCRIPT... [--kernel-only] [--json] [--profile NAME]
//                [--generate N [--seed S] [--procs P] [--ops K]]
//
// Parses the options and calls the library (verify.h): verify_script() for
// one script, verify_sources() for several, a directory or --generate. The
// model runs first either way, so a script error is reported as one before
// any process is started.
//
// One script (a file or '-'): the side-by-side table, or the comparison's
// JSON (--kernel-only: the kernel's own table or the language's JSON).
// Several: one line per script as it finishes, then a total line; with
// --json one document {"kernel", "model", "scripts": [...], "total"} at the
// end. With --json every error is a document {"error": {...}} on stdout too,
// and the sentence on stderr. On a terminal, progress is shown on stderr.
//
// --kernel IMAGE|NAME: the same in a QEMU guest booting that kernel
// (rmaplab/vm.h): its output passed through, its exit code returned; a
// guest whose kernel fails (a panic, oops, BUG or WARNING on its console, no
// result, a timeout) exits 1 with a console excerpt.
//
// Exit code: the largest that applies to any script: 0 all agree, 1 one
// differs, 2 a script error or a bad option (the other scripts still run),
// 3 the kernel cannot be observed (probed once before anything runs; a run
// that fails later counts for its script only).
#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "guest_run.h"
#include "rmaplab/kernel.h"
#include "rmaplab/kernel_objects.h"
#include "rmaplab/verify.h"
#include "rmaplab/vm.h"

namespace rmaplab::cli {

struct VerifyCommand {
  std::vector<std::string> scripts;  // files, directories, "-"
  bool kernel_only = false;
  bool json = false;
  bool objects = false;  // also compare the kernel's objects (BPF)
  // Numbers as given: checked by run_verify() so a bad one is one sentence.
  std::string generate, seed, procs, ops;
  std::string profile{model::kDefaultProfile};  // the model's rules
  // --kernel IMAGE|NAME: verify in a QEMU guest booting that kernel.
  std::string kernel, cache, timeout{"600"}, memory{"256"};
};

namespace {

constexpr std::uint64_t kMaxGenerate = 1'000'000;
constexpr std::uint64_t kMaxOps = 1'000'000;  // as `rmaplab gen`
constexpr std::uint64_t kMaxProcs = 64;

ExitCode exit_code(Verification::Outcome outcome) {
  switch (outcome) {
    case Verification::Outcome::agree:
    case Verification::Outcome::ran:
      return ExitCode::success;
    case Verification::Outcome::differ:
      return ExitCode::disagreement;
    case Verification::Outcome::script_error:
      return ExitCode::usage;
    case Verification::Outcome::kernel_error:
      return ExitCode::unobservable;
  }
  return ExitCode::unobservable;
}

std::string kernel_release() {
  utsname u;
  return uname(&u) == 0 ? u.release : "unknown";
}

// An error: the sentence on stderr and, with --json, {"error": ...} on stdout.
ExitCode fail(report::Reporter& reporter, const std::string& message, ExitCode code) {
  if (reporter.format() == report::Format::json) reporter.print(error_json(message).dump(2));
  reporter.message(message);
  return code;
}

// A decimal option value in [min, max], or one sentence saying what it must be.
Result<std::uint64_t> number(std::string_view option, const std::string& text, std::uint64_t min,
                             std::uint64_t max) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < min || v > max)
    return Error{fmt::format("rmaplab verify: {} must be a whole number from {} to {}, not '{}'",
                             option, min, max, text)};
  return v;
}

Result<GenerateOptions> generate_options(const VerifyCommand& o) {
  GenerateOptions g;
  if (!o.generate.empty()) {
    auto n = number("--generate", o.generate, 1, kMaxGenerate);
    if (!n.ok()) return n.error();
    g.count = *n;
  }
  if (!o.seed.empty()) {
    auto s = number("--seed", o.seed, 0, std::numeric_limits<std::uint64_t>::max());
    if (!s.ok()) return s.error();
    g.seed = *s;
    if (g.count > 0 && g.seed > std::numeric_limits<std::uint64_t>::max() - (g.count - 1))
      return Error{fmt::format(
          "rmaplab verify: --seed {} with --generate {} would need seeds past {}, the largest",
          g.seed, g.count, std::numeric_limits<std::uint64_t>::max())};
  }
  if (!o.procs.empty()) {
    auto p = number("--procs", o.procs, 1, kMaxProcs);
    if (!p.ok()) return p.error();
    g.procs = int(*p);
  }
  if (!o.ops.empty()) {
    auto k = number("--ops", o.ops, 1, kMaxOps);
    if (!k.ok()) return k.error();
    g.ops = int(*k);
  }
  return g;
}

ExitCode verify_one(const VerifyCommand& o, const model::Profile* profile,
                    report::Reporter& reporter) {
  auto script = load_script(o.scripts.front());
  if (!script) return fail(reporter, script.error().message, ExitCode::usage);
  Verification v;
  {
    report::ProgressLine progress(STDERR_FILENO, script->ops.size());
    VerifyOptions options;
    options.kernel_only = o.kernel_only;
    options.objects = o.objects;
    options.profile = profile;
    if (progress.active()) options.progress = [&](std::size_t n) { progress.update(n); };
    v = verify_script(*script, options);
  }  // the progress line is gone before the result is printed
  for (const std::string* note : {&v.depth_note, &v.root_locks_note})
    if (!note->empty()) reporter.message("rmaplab verify: " + *note);
  switch (v.outcome) {
    case Verification::Outcome::script_error:
      return fail(reporter, v.error, ExitCode::usage);
    case Verification::Outcome::kernel_error:
      if (Status s = kernel::probe(); !s.ok())  // the environment, not this script
        return fail(reporter,
                    fmt::format("rmaplab verify: the kernel cannot be observed here: {}",
                                s.error().message),
                    ExitCode::unobservable);
      return fail(reporter, v.error, ExitCode::unobservable);
    case Verification::Outcome::ran:
      reporter.kernel_run(*script, v.kernel);
      break;
    case Verification::Outcome::agree:
    case Verification::Outcome::differ:
      reporter.comparison(*script, v.comparison, v.kernel);
      break;
  }
  if (v.outcome == Verification::Outcome::differ)
    if (const std::string note = large_folio_note(); !note.empty()) reporter.message(note);
  return exit_code(v.outcome);
}

ExitCode verify_many(const VerifyCommand& o, const GenerateOptions& generate,
                     const model::Profile* profile, report::Reporter& reporter) {
  auto sources = script_sources(o.scripts, generate);
  if (!sources.ok()) return fail(reporter, sources.error().message, ExitCode::usage);
  if (Status s = kernel::probe(); !s.ok())
    return fail(
        reporter,
        fmt::format("rmaplab verify: the kernel cannot be observed here: {}", s.error().message),
        ExitCode::unobservable);
  const bool json = reporter.format() == report::Format::json;
  const std::string release = kernel_release();
  std::size_t width = 0;
  for (const ScriptSource& s : *sources) width = std::max(width, s.name.size());
  if (!json)
    reporter.print(o.kernel_only
                       ? fmt::format("kernel {}", release)
                       : fmt::format("model {} versus kernel {}", profile->name, release));

  report::ProgressLine progress(STDERR_FILENO,
                                isatty(STDERR_FILENO) ? count_operations(*sources, generate) : 0);
  // Rows are kept only where the output holds them (JSON).
  VerifyOptions options;
  options.kernel_only = o.kernel_only;
  options.objects = o.objects;
  options.profile = profile;
  options.keep_ops = json;
  if (progress.active()) options.progress = [&](std::size_t n) { progress.update(n); };
  ExitCode code = ExitCode::success;
  bool said_depth = false, said_locks = false;
  nlohmann::json scripts = nlohmann::json::array();
  const VerifyTotals totals = verify_sources(
      *sources, generate, options, [&](const ScriptSource& source, const Verification& v) {
        code = std::max(code, exit_code(v.outcome));
        // Once per command: every run has the same reason.
        if (!v.depth_note.empty() && !said_depth) {
          said_depth = true;
          progress.clear();
          reporter.message("rmaplab verify: " + v.depth_note);
        }
        if (!v.root_locks_note.empty() && !said_locks) {
          said_locks = true;
          progress.clear();
          reporter.message("rmaplab verify: " + v.root_locks_note);
        }
        if (json) {
          scripts.push_back(source_json(source, v, generate));
          return;
        }
        progress.clear();
        reporter.print(source_line(source, width, v, generate));
      });
  progress.clear();

  if (json)
    reporter.print(nlohmann::json{{"kernel", release},
                                  {"model", profile->name},
                                  {"scripts", std::move(scripts)},
                                  {"total", totals_json(totals)}}
                       .dump(2));
  else
    reporter.print(totals_line(totals, o.kernel_only));
  if (totals.count(Verification::Outcome::differ))
    if (const std::string note = large_folio_note(); !note.empty()) reporter.message(note);
  return code;
}

// The same verify inside a guest booting o.kernel: the guest runs this
// binary with the same options and the scripts copied in; its output is
// passed through, and a guest that fails (console, timeout) is a failure.
ExitCode verify_in_guest(const VerifyCommand& o, report::Reporter& reporter) {
  auto timeout = number("--timeout", o.timeout, 1, 86400);
  if (!timeout.ok()) return fail(reporter, timeout.error().message, ExitCode::usage);
  auto memory = number("--memory", o.memory, 128, 16384);
  if (!memory.ok()) return fail(reporter, memory.error().message, ExitCode::usage);
  vm::GuestJob job;
  job.timeout_s = int(*timeout);
  job.memory_mb = int(*memory);
  job.args = {"verify"};
  for (const std::string& s : o.scripts) job.args.push_back(s);
  if (o.kernel_only) job.args.push_back("--kernel-only");
  if (o.objects) job.args.push_back("--objects");
  if (o.json) job.args.push_back("--json");
  for (const auto& [flag, value] : {std::pair{"--generate", &o.generate},
                                    {"--seed", &o.seed},
                                    {"--procs", &o.procs},
                                    {"--ops", &o.ops}})
    if (!value->empty()) {
      job.args.push_back(flag);
      job.args.push_back(*value);
    }
  job.args.push_back("--profile");
  job.args.push_back(o.profile);
  if (Status s = vm::add_script_files(o.scripts, &job); !s.ok())
    return fail(reporter, fmt::format("rmaplab verify: {}", s.error().message), ExitCode::usage);
  auto ran = run_in_guest("verify", o.kernel, o.cache, job, reporter);
  if (const ExitCode* code = std::get_if<ExitCode>(&ran)) return *code;
  const vm::GuestResult& r = std::get<vm::GuestResult>(ran);
  reporter.message(guest_line(job, r));
  return r.exit_code >= 0 && r.exit_code <= 4 ? ExitCode(r.exit_code) : ExitCode::unobservable;
}

}  // namespace

ExitCode run_verify(const VerifyCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  auto generate = generate_options(o);
  if (!generate.ok()) return fail(reporter, generate.error().message, ExitCode::usage);
  if (o.scripts.empty() && generate->count == 0)
    return fail(reporter,
                "rmaplab verify: no script given (name scripts or directories, or use "
                "--generate N)",
                ExitCode::usage);
  // --profile auto with --kernel is the guest's to resolve, from its own release.
  if (!o.kernel.empty() && o.profile == model::kAutoProfile) return verify_in_guest(o, reporter);
  auto profile = find_profile(o.profile);
  if (!profile) return fail(reporter, profile.error().message, ExitCode::usage);
  generate->profile = *profile;  // generated scripts are valid under the rules they meet
  if (!o.kernel.empty()) return verify_in_guest(o, reporter);
  // Loads while the scripts are read and the first kernel run sets up.
  if (o.objects && !o.kernel_only) kernel::preload_object_reader();
  std::error_code ec;
  const bool one =
      generate->count == 0 && o.scripts.size() == 1 &&
      (o.scripts.front() == "-" || !std::filesystem::is_directory(o.scripts.front(), ec));
  return one ? verify_one(o, *profile, reporter) : verify_many(o, *generate, *profile, reporter);
}

Runner setup_verify(CLI::App& app) {
  auto o = std::make_shared<VerifyCommand>();
  app.add_option("scripts", o->scripts,
                 "Workload scripts (.rml) or directories of them; '-' reads standard input");
  app.add_flag("--kernel-only", o->kernel_only,
               "Only run on the kernel and print its counts (the language's JSON with --json)");
  app.add_flag("--json", o->json, "Print JSON instead of a table");
  app.add_flag("--objects", o->objects,
               "Also read the kernel's objects with BPF after every operation and compare them "
               "(counters, chains, trees, folios); falls back with a note where BPF cannot run");
  app.add_option("--generate", o->generate,
                 "Also verify N generated scripts (1 to 1,000,000; seeds S, S+1, ...; see "
                 "'rmaplab gen')")
      ->type_name("N");
  app.add_option("--seed", o->seed, "First seed for --generate (default 1)")->type_name("S");
  app.add_option("--procs", o->procs,
                 "Processes alive at once in generated scripts (1 to 64, default 8)")
      ->type_name("P");
  app.add_option("--ops", o->ops, "Operations per generated script (1 to 1,000,000, default 60)")
      ->type_name("K");
  add_profile_option(app, o->profile);
  app.add_option("--kernel", o->kernel,
                 "Verify in a QEMU guest booting this kernel: an image file, or a name 'rmaplab "
                 "kernels list' shows (fetched if not cached)")
      ->type_name("IMAGE|NAME");
  o->cache = vm::default_cache_dir();
  app.add_option("--cache", o->cache, "With --kernel NAME: where fetched kernels are kept")
      ->type_name("DIR");
  app.add_option("--timeout", o->timeout, "With --kernel: seconds the guest may take (default 600)")
      ->type_name("S");
  app.add_option("--memory", o->memory, "With --kernel: the guest's memory in MiB (default 256)")
      ->type_name("MB");
  return [o] { return run_verify(*o); };
}

}  // namespace rmaplab::cli
