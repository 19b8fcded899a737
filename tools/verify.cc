// rmaplab verify SCRIPT... [--kernel-only] [--json] [--profile NAME]
//                [--generate N [--seed S] [--procs P] [--ops K]]
//
// Runs scripts on the running kernel with real processes (kernel.h) and,
// unless --kernel-only, in the model too, and compares the two operation by
// operation (verify.h: verify_script). The model runs first either way, so a
// script error is reported as one before any process is started.
//
// One script (a file or '-'): the side-by-side table, or the comparison's
// JSON (--kernel-only: the kernel's own table or the language's JSON).
// Several scripts, a directory (every *.rml in it, sorted by name, not
// recursive) or --generate: one line per script as it finishes, then a total
// line; with --json one document {"kernel", "model", "scripts": [...],
// "total"} at the end. Generated scripts are named seed-S.rml; a failing one
// is printed with the command that writes it out (`rmaplab gen`).
//
// Exit code: the largest that applies to any script: 0 all agree, 1 one
// differs, 2 a script error (the other scripts still run), 3 the kernel
// cannot be observed (probed once before anything runs; a run that fails
// later counts for its script only).
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "rmaplab/gen.h"
#include "rmaplab/kernel.h"
#include "rmaplab/verify.h"

namespace rmaplab::cli {

struct VerifyCommand {
  std::vector<std::string> scripts;  // files, directories, "-"
  bool kernel_only = false;
  bool json = false;
  std::size_t generate = 0;  // generated scripts: seeds seed, seed+1, ...
  std::uint64_t seed = 1;
  int procs = 8;
  int ops = 60;
  std::string profile = "linux-6.18";  // the model's rules
};

namespace {

// One script of a run over many: a file to load, or a generated one.
struct Input {
  std::string name;                   // as shown: the path, or seed-S.rml
  std::optional<std::uint64_t> seed;  // generated
};

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

std::string gen_command(const VerifyCommand& o, std::uint64_t seed) {
  return fmt::format("rmaplab gen --seed {} --procs {} --ops {}", seed, o.procs, o.ops);
}

// The scripts named on the command line, directories expanded, then the
// generated ones. An error is a usage error (nothing has run).
Result<std::vector<Input>> inputs(const VerifyCommand& o) {
  std::vector<Input> out;
  for (const std::string& arg : o.scripts) {
    std::error_code ec;
    if (arg == "-" || !std::filesystem::is_directory(arg, ec)) {
      out.push_back({arg, std::nullopt});  // load_script() reports a missing file
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(arg, ec))
      if (e.path().extension() == ".rml" && !e.is_directory()) found.push_back(e.path().string());
    if (ec) return Error{fmt::format("rmaplab verify: cannot list {}: {}", arg, ec.message())};
    if (found.empty()) return Error{fmt::format("rmaplab verify: no .rml scripts in {}", arg)};
    std::sort(found.begin(), found.end());
    for (std::string& f : found) out.push_back({std::move(f), std::nullopt});
  }
  for (std::size_t i = 0; i < o.generate; ++i) {
    const std::uint64_t seed = o.seed + i;
    out.push_back({fmt::format("seed-{}.rml", seed), seed});
  }
  return out;
}

// The input's script: loaded from its file or generated from its seed.
Result<Script> load_input(const VerifyCommand& o, const Input& in) {
  if (!in.seed) return load_script(in.name);
  GenOptions g;
  g.seed = *in.seed;
  g.procs = o.procs;
  g.ops = o.ops;
  return parse_script(generate_script(g), in.name);
}

ExitCode verify_one(const VerifyCommand& o, report::Reporter& reporter) {
  auto script = load_script(o.scripts.front());
  if (!script) {
    reporter.message(script.error().message);
    return ExitCode::usage;
  }
  auto profile = find_profile(o.profile);
  if (!profile) {
    reporter.message(profile.error().message);
    return ExitCode::usage;
  }
  const Verification v =
      verify_script(*script, {.kernel_only = o.kernel_only, .profile = *profile});
  switch (v.outcome) {
    case Verification::Outcome::script_error:
    case Verification::Outcome::kernel_error:
      reporter.message(v.error);
      break;
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

ExitCode verify_many(const VerifyCommand& o, report::Reporter& reporter) {
  auto list = inputs(o);
  if (!list.ok()) {
    reporter.message(list.error().message);
    return ExitCode::usage;
  }
  auto profile = find_profile(o.profile);
  if (!profile) {
    reporter.message(profile.error().message);
    return ExitCode::usage;
  }
  if (Status s = kernel::probe(); !s.ok()) {
    reporter.message(
        fmt::format("rmaplab verify: the kernel cannot be observed here: {}", s.error().message));
    return ExitCode::unobservable;
  }
  const bool json = reporter.format() == report::Format::json;
  const std::string release = kernel_release();
  std::size_t width = 0;
  for (const Input& in : *list) width = std::max(width, in.name.size());
  if (!json)
    reporter.print(o.kernel_only ? fmt::format("kernel {}", release)
                                 : fmt::format("model {} versus kernel {}", o.profile, release));

  ExitCode code = ExitCode::success;
  std::size_t counts[5] = {};  // by Outcome
  nlohmann::json scripts = nlohmann::json::array();
  std::vector<std::uint64_t> failing_seeds;
  auto report = [&](const Input& in, const Verification& v) {
    code = std::max(code, exit_code(v.outcome));
    ++counts[static_cast<int>(v.outcome)];
    const bool failed = exit_code(v.outcome) != ExitCode::success;
    if (failed && in.seed) failing_seeds.push_back(*in.seed);
    if (json) {
      nlohmann::json j = to_json(in.name, v);
      if (in.seed) {
        j["seed"] = *in.seed;
        j["generated_by"] = gen_command(o, *in.seed);
      }
      scripts.push_back(std::move(j));
      return;
    }
    std::string line = summary_line(in.name, width, v);
    if (failed && in.seed)
      line += fmt::format("\n    replay: {} > {} && rmaplab verify {}", gen_command(o, *in.seed),
                          in.name, in.name);
    reporter.print(line);
  };

  // Scripts that load are verified in runs of consecutive ones (so they can
  // share kernel runs); one that does not is reported in its place.
  const VerifyOptions options{.kernel_only = o.kernel_only, .profile = *profile};
  std::vector<Script> chunk;
  std::vector<const Input*> chunk_inputs;
  auto verify_chunk = [&] {
    verify_scripts(chunk, options,
                   [&](std::size_t i, const Verification& v) { report(*chunk_inputs[i], v); });
    chunk.clear();
    chunk_inputs.clear();
  };
  for (const Input& in : *list) {
    auto script = load_input(o, in);
    if (script.ok()) {
      chunk.push_back(std::move(*script));
      chunk_inputs.push_back(&in);
      if (chunk.size() == 256) verify_chunk();  // bounded memory for --generate 100000
      continue;
    }
    verify_chunk();
    Verification v;
    v.outcome = Verification::Outcome::script_error;
    v.error = script.error().message;
    report(in, v);
  }
  verify_chunk();

  using O = Verification::Outcome;
  auto n = [&](O outcome) { return counts[static_cast<int>(outcome)]; };
  if (json) {
    nlohmann::json total = {{"scripts", list->size()}};
    for (O outcome : {O::agree, O::differ, O::script_error, O::kernel_error, O::ran})
      total[std::string(to_string(outcome))] = n(outcome);
    reporter.print(nlohmann::json{{"kernel", release},
                                  {"model", o.profile},
                                  {"scripts", std::move(scripts)},
                                  {"total", std::move(total)}}
                       .dump(2));
    if (n(O::differ))
      if (const std::string note = large_folio_note(); !note.empty()) reporter.message(note);
    return code;
  }
  std::string total = fmt::format("total: {} script{}", list->size(), list->size() == 1 ? "" : "s");
  const std::pair<O, const char*> parts[] = {{O::agree, "agree"},
                                             {O::ran, "ran"},
                                             {O::differ, "differ"},
                                             {O::script_error, "script error"},
                                             {O::kernel_error, "kernel error"}};
  for (auto [outcome, what] : parts)
    if (n(outcome) || (outcome == O::agree && !o.kernel_only))
      total += fmt::format(", {} {}{}", n(outcome), what,
                           n(outcome) != 1 && std::string_view(what).ends_with("error") ? "s" : "");
  if (!failing_seeds.empty()) {
    total += "; failing seeds:";
    for (std::uint64_t s : failing_seeds) total += fmt::format(" {}", s);
  }
  reporter.print(total);
  if (n(O::differ))
    if (const std::string note = large_folio_note(); !note.empty()) reporter.message(note);
  return code;
}

}  // namespace

ExitCode run_verify(const VerifyCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  if (o.scripts.empty() && o.generate == 0) {
    reporter.message(
        "rmaplab verify: no script given (name scripts or directories, or use "
        "--generate N)");
    return ExitCode::usage;
  }
  std::error_code ec;
  const bool one =
      o.generate == 0 && o.scripts.size() == 1 &&
      (o.scripts.front() == "-" || !std::filesystem::is_directory(o.scripts.front(), ec));
  return one ? verify_one(o, reporter) : verify_many(o, reporter);
}

Runner setup_verify(CLI::App& app) {
  auto o = std::make_shared<VerifyCommand>();
  app.add_option("scripts", o->scripts,
                 "Workload scripts (.rml) or directories of them; '-' reads standard input");
  app.add_flag("--kernel-only", o->kernel_only,
               "Only run on the kernel and print its counts (the language's JSON with --json)");
  app.add_flag("--json", o->json, "Print JSON instead of a table");
  app.add_option("--generate", o->generate,
                 "Also verify N generated scripts (seeds S, S+1, ...; see 'rmaplab gen')")
      ->type_name("N");
  app.add_option("--seed", o->seed, "First seed for --generate (default 1)")->type_name("S");
  app.add_option("--procs", o->procs, "Processes alive at once in generated scripts (default 8)")
      ->type_name("P")
      ->check(CLI::Range(1, 64));
  app.add_option("--ops", o->ops, "Operations per generated script (default 60)")
      ->type_name("K")
      ->check(CLI::Range(1, 1000000));
  add_profile_option(app, o->profile);
  return [o] { return run_verify(*o); };
}

}  // namespace rmaplab::cli
