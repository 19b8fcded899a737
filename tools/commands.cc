// The subcommand table and the helpers the subcommands share.
#include <algorithm>

#include <fmt/format.h>

#include "command.h"
#include "rmaplab/profile.h"

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
      {"profiles", "List the rule sets (profiles) --profile accepts", setup_profiles},
      {"diff", "Run a script under two profiles and show what differs per operation", setup_diff},
      {"gen", "Write a random valid workload script; the seed reproduces it", setup_gen},
      {"fuzz",
       "Run generated scripts with the invariant checker (and the kernel); shrink a failure",
       setup_fuzz},
      {"help", "Show help for rmaplab or one subcommand", setup_help},
  };
  return kTable;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

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
  if (const model::Profile* p = model::find_profile(name)) return p;
  std::vector<std::string> names;
  for (const model::Profile* p : model::profiles()) names.emplace_back(p->name);
  std::string all;
  for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
  return Error{
      fmt::format("rmaplab: unknown profile '{}'{}; the profiles are {} (rmaplab profiles)", name,
                  suggestion(name, names), all)};
}

void add_profile_option(CLI::App& app, std::string& name) {
  app.add_option("--profile", name,
                 "The rule set the model runs under (default linux-6.18; see rmaplab profiles)")
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
