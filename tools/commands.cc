// The subcommand table and the helpers the subcommands share.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include <sys/utsname.h>

#include <fmt/format.h>

#include "command.h"
#include "rmaplab/printable.h"
#include "rmaplab/profile.h"
#include "rmaplab/suggest.h"

namespace rmaplab::cli {

std::span<const Subcommand> subcommands() {
  static constexpr Subcommand kTable[] = {
      {"run", "Run a workload script in the model: per-operation anon_vma/AVC counts", setup_run},
      {"show", "Draw the modelled state after a line as Graphviz DOT (or SVG)", setup_show},
      {"walk", "Show the rmap walk of the folio a process maps at a page", setup_walk},
      {"verify",
       "Run scripts (files, directories, or --generate N) on the running kernel (root) and compare "
       "with the model",
       setup_verify},
      {"kernels", "Other kernels for verify --kernel: list, fetch NAME (Debian), check IMAGE",
       setup_kernels},
      {"inspect",
       "Show a live process's anon_vma forest, read from the kernel's objects with BPF (root)",
       setup_inspect},
      {"profiles", "List the rule sets (profiles) --profile accepts", setup_profiles},
      {"diff", "Run a script under two profiles and show what differs per operation", setup_diff},
      {"compare", "Run workloads under several designs or profiles: objects, bytes, walks, locks",
       setup_compare},
      {"report",
       "Write one self-contained HTML page of a run: timeline, state as SVG, plots, profiles, "
       "kernel",
       setup_report},
      {"gen", "Write a random valid workload script; the seed reproduces it", setup_gen},
      {"fuzz",
       "Run generated scripts with the invariant checker (and the kernel); shrink a failure",
       setup_fuzz},
      {"help", "Show help for rmaplab or one subcommand", setup_help},
  };
  return kTable;
}

std::vector<std::string> did_you_mean(std::string_view word,
                                      const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> close;
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(word, c);
    // A prefix ("ver" for "verify") is as good as a typo.
    if (word.size() >= 2 && c.starts_with(word)) d = std::min<std::size_t>(d, 1);
    if (d <= limit) close.emplace_back(d, c);
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < close.size() && i < 3; ++i) out.push_back(close[i].second);
  return out;
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  const auto close = did_you_mean(word, candidates);
  if (close.empty()) return "";
  std::string out = " (did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i)
    out += fmt::format("{}'{}'", i == 0 ? "" : i + 1 == close.size() ? " or " : ", ", close[i]);
  return out + "?)";
}

Result<const model::Profile*> find_profile(std::string_view name) {
  if (name == model::kAutoProfile) {
    utsname u;
    const std::string release = uname(&u) == 0 ? u.release : "";
    return profile_for_release(release);
  }
  if (const model::Profile* p = model::find_profile(name)) return p;
  std::vector<std::string> names;
  for (const model::Profile* p : model::profiles()) names.emplace_back(p->name);
  std::string all;
  for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
  return Error{
      fmt::format("rmaplab: unknown profile '{}'{}; the profiles are {} (rmaplab profiles)",
                  printable(name), suggestion(name, names), all)};
}

Result<const model::Profile*> profile_for_release(std::string_view release) {
  if (const model::Profile* p = model::profile_claiming(model::parse_kernel_release(release)))
    return p;
  std::string claims;
  for (const model::Profile* p : model::profiles())
    if (p->claims_from != model::KernelVersion{})
      claims +=
          fmt::format("{}{} {}.{}-{}.{}", claims.empty() ? "" : ", ", p->name, p->claims_from.major,
                      p->claims_from.minor, p->claims_to.major, p->claims_to.minor);
  return Error{fmt::format(
      "rmaplab: --profile auto: no profile claims kernel '{}' (the claims: {}); name one with "
      "--profile NAME",
      printable(release), claims)};
}

Result<std::vector<std::string>> script_paths(std::string_view command,
                                              const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (arg == "-" || !std::filesystem::is_directory(arg, ec)) {
      out.push_back(arg);  // load_script() reports a missing file
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(arg, ec))
      if (e.path().extension() == ".rml" && !e.is_directory()) found.push_back(e.path().string());
    if (ec)
      return Error{
          fmt::format("rmaplab {}: cannot list {}: {}", command, printable(arg), ec.message())};
    if (found.empty())
      return Error{fmt::format("rmaplab {}: no .rml scripts in {}", command, printable(arg))};
    std::sort(found.begin(), found.end());
    for (std::string& f : found) out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Script>> load_scripts(std::string_view command,
                                         const std::vector<std::string>& args) {
  auto paths = script_paths(command, args);
  if (!paths) return paths.error();
  std::vector<Script> scripts;
  for (const std::string& path : *paths) {
    auto s = load_script(path);
    if (!s) return s.error();
    scripts.push_back(std::move(*s));
  }
  return scripts;
}

ExitCode print_graph(report::Reporter& reporter, const std::string& dot,
                     const std::string& svg_path) {
  if (svg_path.empty()) {
    reporter.print(dot);
    return ExitCode::success;
  }
  if (svg_path == "-") {
    auto svg = report::svg_text(dot);
    if (!svg) {
      reporter.message(svg.error().message);
      return ExitCode::usage;
    }
    reporter.print(*svg);
    return ExitCode::success;
  }
  if (auto s = report::render_svg(dot, svg_path); !s) {
    reporter.message(s.error().message);
    return ExitCode::usage;
  }
  return ExitCode::success;
}

void add_profile_option(CLI::App& app, std::string& name) {
  app.add_option("--profile", name,
                 "The rule set the model runs under (default linux-6.18; 'auto': the one that "
                 "claims the running kernel's version; see rmaplab profiles)")
      ->type_name("NAME");
}

Status advance_to(Simulation& sim, int line) {
  const Script& script = sim.script();
  while (sim.next_op() < script.ops.size() &&
         (line == 0 || script.ops[sim.next_op()].line <= line)) {
    auto rec = sim.step();
    if (!rec) return rec.error();
  }
  return ok_status();
}

Result<std::unique_ptr<StateAt>> state_at(const std::string& path, std::string_view profile,
                                          int line) {
  auto script = load_script(path);
  if (!script) return script.error();
  auto rules = find_profile(profile);
  if (!rules) return rules.error();
  auto state = std::make_unique<StateAt>();
  state->script = std::move(script.value());
  RunOptions options;
  options.profile = *rules;
  options.layouts = Layouts::none;
  state->sim = std::make_unique<Simulation>(state->script, options);
  if (auto s = advance_to(*state->sim, line); !s) return s.error();
  return state;
}

}  // namespace rmaplab::cli
