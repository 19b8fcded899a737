// verify_sources(): the scripts a command line names, files and generated,
// verified in bounded chunks (see verify.h).
#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "rmaplab/gen.h"
#include "rmaplab/profile.h"
#include "rmaplab/verify.h"

namespace rmaplab {
namespace {

// At most this many loaded scripts at once: --generate 100000 stays small.
constexpr std::size_t kChunk = 256;

Result<Script> load_source(const ScriptSource& source, const GenerateOptions& generate) {
  if (!source.seed) return load_script(source.name);
  GenOptions g;
  g.seed = *source.seed;
  g.procs = generate.procs;
  g.ops = generate.ops;
  g.profile = generate.profile;
  return parse_script(generate_script(g), source.name);
}

}  // namespace

Result<std::vector<ScriptSource>> script_sources(std::span<const std::string> paths,
                                                 const GenerateOptions& generate) {
  std::vector<ScriptSource> out;
  for (const std::string& arg : paths) {
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
  for (std::uint64_t i = 0; i < generate.count; ++i) {
    const std::uint64_t seed = generate.seed + i;
    out.push_back({fmt::format("seed-{}.rml", seed), seed});
  }
  return out;
}

std::string gen_command(const GenerateOptions& generate, std::uint64_t seed) {
  const bool named = generate.profile && generate.profile->name != model::kDefaultProfile;
  return fmt::format("rmaplab gen --seed {} --procs {} --ops {}{}", seed, generate.procs,
                     generate.ops,
                     named ? fmt::format(" --profile {}", generate.profile->name) : "");
}

std::size_t count_operations(std::span<const ScriptSource> sources,
                             const GenerateOptions& generate) {
  std::size_t n = 0;
  for (const ScriptSource& s : sources) {
    if (s.seed) {
      n += std::size_t(generate.ops);
    } else if (s.name != "-") {  // stdin can be read once only
      if (auto script = load_script(s.name); script.ok()) n += script->ops.size();
    }
  }
  return n;
}

VerifyTotals verify_sources(
    std::span<const ScriptSource> sources, const GenerateOptions& generate,
    const VerifyOptions& options,
    const std::function<void(const ScriptSource&, const Verification&)>& done) {
  VerifyTotals totals;
  auto count = [&](const ScriptSource& source, const Verification& v) {
    ++totals.scripts;
    ++totals.outcomes[std::size_t(v.outcome)];
    const bool failed =
        v.outcome != Verification::Outcome::agree && v.outcome != Verification::Outcome::ran;
    if (failed && source.seed) totals.failing_seeds.push_back(*source.seed);
    if (done) done(source, v);
  };
  // Progress counts over the whole call, across chunks.
  std::size_t before = 0, in_chunk = 0;
  VerifyOptions chunk_options = options;
  if (options.progress)
    chunk_options.progress = [&](std::size_t n) {
      in_chunk = n;
      options.progress(before + n);
    };

  std::vector<Script> chunk;
  std::vector<const ScriptSource*> chunk_sources;
  auto verify_chunk = [&] {
    verify_scripts(chunk, chunk_options,
                   [&](std::size_t i, const Verification& v) { count(*chunk_sources[i], v); });
    chunk.clear();
    chunk_sources.clear();
    before += in_chunk;
    in_chunk = 0;
  };
  for (const ScriptSource& source : sources) {
    auto script = load_source(source, generate);
    if (script.ok()) {
      chunk.push_back(std::move(*script));
      chunk_sources.push_back(&source);
      if (chunk.size() == kChunk) verify_chunk();
      continue;
    }
    verify_chunk();  // keep the order
    Verification v;
    v.outcome = Verification::Outcome::script_error;
    v.error = script.error().message;
    count(source, v);
  }
  verify_chunk();
  return totals;
}

}  // namespace rmaplab
