// verify_script(): one script through the model and the kernel; its summary
// line and JSON for runs over many scripts.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/profile.h"
#include "rmaplab/verify.h"
#include "verify/verify_internal.h"

namespace rmaplab {

std::string_view to_string(Verification::Outcome outcome) {
  switch (outcome) {
    case Verification::Outcome::agree:
      return "agree";
    case Verification::Outcome::differ:
      return "differ";
    case Verification::Outcome::script_error:
      return "script_error";
    case Verification::Outcome::kernel_error:
      return "kernel_error";
    case Verification::Outcome::ran:
      return "ran";
  }
  return "?";
}

namespace {

std::string profile_name(const VerifyOptions& options) {
  return options.profile ? std::string(options.profile->name) : std::string(model::kDefaultProfile);
}

}  // namespace

Status validate_in_model(const Script& script, const model::Profile* profile) {
  RunOptions options;
  options.layouts = Layouts::none;
  options.record_events = false;
  options.profile = profile;
  Simulation sim(script, options);
  while (!sim.done())
    if (auto r = sim.step(); !r.ok()) return r.error();
  return ok_status();
}

Verification verify_script(const Script& script, const VerifyOptions& options) {
  Verification v;
  v.operations = script.ops.size();
  // The model first: a script the real processes could not run (a touch of
  // an unmapped page would kill one) must not reach the kernel. This pass
  // keeps nothing; the second one runs in step with the kernel.
  if (Status s = validate_in_model(script, options.profile); !s.ok()) {
    v.outcome = Verification::Outcome::script_error;
    v.error = s.error().message;
    return v;
  }
  const bool compare = !options.kernel_only;
  RunOptions model_options;
  model_options.layouts = compare && options.snapshots ? Layouts::all : Layouts::none;
  model_options.profile = options.profile;
  Simulation sim(script, model_options);
  const State model_state(sim);
  RunComparer comparer(script, options.keep_ops);
  kernel::Options kernel_options;
  kernel_options.snapshot = compare && options.snapshots;
  kernel_options.objects = kernel_options.snapshot && options.objects;
  kernel_options.snapshot_touched = true;
  std::vector<kernel::OpResult> kept;
  const bool keep_kernel_ops = options.keep_kernel_ops || (options.kernel_only && options.keep_ops);
  std::size_t done = 0;
  auto run = kernel::run(script, kernel_options, [&](kernel::OpResult&& k) -> Status {
    v.kernel_counts += k.counts();
    if (compare) {
      auto m = sim.step();
      if (!m.ok()) return m.error();  // not after validate_in_model(): a model bug
      comparer.op(*m, k, kernel_options.objects ? &model_state : nullptr);
    }
    if (keep_kernel_ops) kept.push_back(std::move(k));
    if (options.progress) options.progress(++done);
    return ok_status();
  });
  if (!run.ok()) {
    v.outcome = Verification::Outcome::kernel_error;
    v.error = run.error().message;
    return v;
  }
  v.kernel = std::move(*run);
  v.kernel.ops = std::move(kept);
  v.note_depth();
  if (options.kernel_only) {
    v.outcome = Verification::Outcome::ran;
    return v;
  }
  v.comparison = comparer.take();
  v.comparison.model = profile_name(options);
  v.outcome = v.comparison.agree() ? Verification::Outcome::agree : Verification::Outcome::differ;
  return v;
}

namespace {

// The word in brackets in a sysfs choice file ("always [madvise] never").
std::string chosen(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto open = text.find('['), close = text.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return text.substr(open + 1, close - open - 1);
}

}  // namespace

std::string large_folio_note(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string top = chosen(fs::path(root) / "enabled");
  std::vector<std::pair<unsigned long, std::string>> sizes;  // kB, name
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();  // "hugepages-16kB"
    if (!name.starts_with("hugepages-") || !name.ends_with("kB")) continue;
    const std::string mode = chosen(e.path() / "enabled");
    if (mode == "always" || (mode == "inherit" && top == "always"))
      sizes.emplace_back(std::strtoul(name.c_str() + 10, nullptr, 10), name.substr(10));
  }
  if (sizes.empty()) return "";
  std::sort(sizes.begin(), sizes.end());
  std::string list;
  for (const auto& [kb, name] : sizes) list += (list.empty() ? "" : ", ") + name;
  return fmt::format(
      "note: this kernel gives anonymous faults large folios unasked ({}: transparent huge "
      "pages 'always'); the model has order-0 folios only, so pages of a VMA that can hold an "
      "aligned folio of such a size may differ (doc/verify.md, Limits)",
      list);
}

namespace {

std::string difference_text(const Difference& d) {
  return fmt::format("{} at line {} ({}): {}", to_string(d.kind), d.line, d.op, d.message);
}

}  // namespace

std::string summary_line(std::string_view name, std::size_t width, const Verification& v) {
  std::string out = fmt::format("{:<{}}  ", name, width);
  switch (v.outcome) {
    case Verification::Outcome::script_error:
      return out + "script error: " + v.error;
    case Verification::Outcome::kernel_error:
      return out + "kernel error: " + v.error;
    default:
      break;
  }
  out += fmt::format("{:>4} ops  ", v.operations);
  if (v.outcome == Verification::Outcome::ran) {
    const auto& c = v.kernel_counts;
    return out + fmt::format("anon_vma +{}/-{}  AVC +{}/-{}  live anon_vma {} AVC {}",
                             c.anon_vma_alloc, c.anon_vma_free, c.avc_alloc, c.avc_free,
                             v.kernel.live_anon_vma, v.kernel.live_avc);
  }
  const Comparison& c = v.comparison;
  if (c.agree()) return out + "agree";
  out += fmt::format("{} op{} differ", c.differences, c.differences == 1 ? "" : "s");
  for (std::size_t i = 0; i < c.first.size(); ++i)
    out += (i == 0 ? ": " : "\n    ") + difference_text(c.first[i]);
  if (!v.note.empty()) out += "\n    note: " + v.note;
  return out;
}

nlohmann::json to_json(std::string_view name, const Verification& v) {
  nlohmann::json j = {{"file", std::string(name)},
                      {"outcome", std::string(to_string(v.outcome))},
                      {"operations", v.operations}};
  switch (v.outcome) {
    case Verification::Outcome::script_error:
    case Verification::Outcome::kernel_error:
      j["error"] = v.error;
      break;
    case Verification::Outcome::ran:
      j["result"] = kernel::to_json(v.kernel);
      break;
    case Verification::Outcome::agree:
    case Verification::Outcome::differ:
      j["comparison"] = to_json(v.comparison);
      if (!v.note.empty()) j["note"] = v.note;
      break;
  }
  return j;
}

}  // namespace rmaplab
