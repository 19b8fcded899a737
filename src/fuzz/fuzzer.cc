// test_script and the fuzzing loop (one process); workers.cc shares the loop
// out to forked processes.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "fuzz/fail_alloc.h"
#include "fuzz/loop.h"
#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/diff.h"
#include "rmaplab/kernel.h"
#include "rmaplab/profile.h"
#include "rmaplab/run.h"
#include "rmaplab/verify.h"
#include "run/model_of.h"

namespace rmaplab {

static_assert(kCoverPaths == model::kPaths, "fuzz.h's kCoverPaths follows model::Path");
static_assert(kVerbs == static_cast<int>(Verb::exit) + 1, "fuzz.h's kVerbs follows Verb");

std::string describe(const Failure& f) {
  const std::string where = f.line ? fmt::format(" at line {} ({})", f.line, f.op) : "";
  if (f.kind == Failure::Kind::violation)
    return fmt::format("invariant {} broken{}: {}", f.what, where, f.message);
  if (f.kind == Failure::Kind::alloc_failure)
    return fmt::format("with allocation {} failing: {}", f.fail_alloc, f.message);
  if (f.kind == Failure::Kind::divergence)
    return fmt::format("the reference rules disagree ({}){}: {}", f.what, where, f.message);
  return fmt::format("the kernel disagrees ({}){}: {}", f.what, where, f.message);
}

FuzzStats& FuzzStats::operator+=(const FuzzStats& o) {
  scripts += o.scripts;
  operations += o.operations;
  seconds = std::max(seconds, o.seconds);
  for (int i = 0; i < kVerbs; ++i) verbs[i] += o.verbs[i];
  for (int i = 0; i < kCoverPaths; ++i) paths[i] += o.paths[i];
  return *this;
}

std::string_view cover_path_name(int path) {
  return model::to_string(static_cast<model::Path>(path));
}

std::string script_text(const Script& script) {
  std::string out;
  for (const Op& op : script.ops) out += format_op(script, op) + "\n";
  return out;
}

namespace fuzz_internal {

std::uint64_t mix(std::uint64_t seed) {  // splitmix64
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace fuzz_internal

namespace {

// The first difference, by line (then by kind order), as a Failure.
Failure first_difference(const Comparison& c) {
  const Difference* first = nullptr;
  for (const Difference& d : c.first)
    if (!first || d.line < first->line) first = &d;
  Failure f;
  f.kind = Failure::Kind::disagreement;
  if (first) {
    f.what = std::string(to_string(first->kind));
    f.line = first->line;
    f.op = first->op;
    f.message = first->message;
  } else {
    f.what = "result";
    f.message = "the comparison found differences but named none";
  }
  return f;
}

}  // namespace

namespace fuzz_internal {

Result<std::optional<Failure>> test_script(const Script& script, const TestOptions& options,
                                           FuzzStats* stats, std::uint64_t* allocations) {
  RunOptions ro;
  ro.check = true;
  // The comparison checks layouts and pages.
  ro.layouts = options.kernel ? Layouts::all : Layouts::none;
  ro.pages = options.kernel;
  ro.record_events = options.kernel;
  ro.profile = options.profile;
  Simulation sim(script, ro);
  RunReport report;  // kept only for the kernel comparison
  std::optional<Failure> failure;
  while (!sim.done()) {
    auto rec = sim.step();
    if (!rec) return rec.error();
    if (options.kernel) report.ops.push_back(std::move(rec.value()));
  }
  if (!sim.violation()) sim.check_all();
  if (const auto& v = sim.violation())
    failure = Failure{Failure::Kind::violation, v->rule, v->line, v->op, v->message};
  if (stats) {
    stats->operations += sim.next_op();
    for (std::size_t i = 0; i < sim.next_op(); ++i)
      ++stats->verbs[static_cast<int>(script.ops[i].verb)];
    const auto& paths = machine_of(sim).env().paths();
    for (int i = 0; i < kCoverPaths; ++i) stats->paths[i] += paths[i];
  }
  if (allocations) *allocations = machine_of(sim).env().allocations();
  if (!failure && options.reference) {
    auto c = compare_profiles(script, options.profile ? *options.profile : model::linux_6_18(),
                              *options.reference);
    if (!c) return c.error();
    const ProfileDifference* first = nullptr;
    for (const ProfileDifference& d : c->first)
      if (is_semantic(d.kind) && (!first || d.line < first->line)) first = &d;
    if (first)
      failure = Failure{Failure::Kind::divergence, std::string(to_string(first->kind)), first->line,
                        first->op, fmt::format("under {}: {}", c->b, first->message)};
  }
  if (failure || !options.kernel) return failure;

  report.live_anon_vma = machine_of(sim).env().live_anon_vmas();
  report.live_avc = machine_of(sim).env().live_avcs();
  kernel::Options ko;
  ko.snapshot = true;
  auto run = kernel::run(script, ko);
  if (!run) return run.error();
  const Comparison c = compare_runs(script, report, *run);
  if (c.agree()) return std::optional<Failure>{};
  return std::optional<Failure>{first_difference(c)};
}

std::optional<std::uint64_t> injection_point(std::uint64_t seed, std::uint64_t allocations) {
  const std::uint64_t h = mix(seed ^ 0x5bd1e9955bd1e995ULL);
  if (h % 4 != 0 || allocations == 0) return std::nullopt;
  return 1 + (h >> 8) % allocations;
}

Failure alloc_failure(const FailPoint& p) {
  Failure f;
  f.kind = Failure::Kind::alloc_failure;
  f.what = p.rule;
  f.line = p.line;
  f.op = p.op;
  f.message = p.problem.value_or("");
  f.fail_alloc = p.k;
  return f;
}

}  // namespace fuzz_internal

Result<std::optional<Failure>> test_script(const Script& script, const TestOptions& options,
                                           FuzzStats* stats) {
  return fuzz_internal::test_script(script, options, stats, nullptr);
}

GenOptions fuzz_shape(std::uint64_t seed) {
  // Shapes spread evenly over consecutive seeds.
  const std::uint64_t z = fuzz_internal::mix(seed);
  GenOptions g;
  g.seed = seed;
  g.procs = 2 + static_cast<int>(z % 7);           // 2..8
  g.ops = 20 + static_cast<int>((z >> 16) % 101);  // 20..120
  return g;
}

namespace fuzz_internal {

using Clock = std::chrono::steady_clock;

namespace {

// Generates and parses the script of `seed`; an invalid one is a generator bug.
Result<Script> generated(std::uint64_t seed, const model::Profile* profile) {
  GenOptions g = fuzz_shape(seed);
  g.profile = profile;
  auto script = parse_script(generate_script(g), "<gen>");
  if (!script)
    return Error{
        fmt::format("the generator wrote an invalid script for seed {} (rmaplab gen "
                    "--seed {} --procs {} --ops {}): {}",
                    seed, g.seed, g.procs, g.ops, script.error().message)};
  return script;
}

bool stopped(const FuzzOptions& o) { return o.stop && *o.stop; }

}  // namespace

LoopEnd run_loop(const FuzzOptions& o, std::uint64_t first, std::uint64_t stride,
                 std::uint64_t max_scripts, FuzzStats& stats, const std::function<void()>& tick) {
  const auto start = Clock::now();
  auto last_tick = start;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto out_of_time = [&] {
    return (o.seconds > 0 && elapsed() >= o.seconds) || stopped(o) ||
           (max_scripts && stats.scripts >= max_scripts);
  };
  auto maybe_tick = [&] {
    if (Clock::now() - last_tick >= std::chrono::seconds(1)) {
      stats.seconds = elapsed();
      last_tick = Clock::now();
      if (tick) tick();
    }
  };
  // The kernel's fixed cost per run is large: scripts go to it in batches
  // (verify_scripts joins them into one run), after their model runs.
  // verify_scripts runs the 6.18 model: another profile is compared one
  // script at a time, with its own model run.
  const bool batched = o.kernel && !o.profile;
  const std::size_t batch = batched ? 16 : 1;
  TestOptions model_only;
  model_only.profile = o.profile;
  model_only.reference = o.reference;
  TestOptions with_kernel = model_only;
  with_kernel.kernel = true;
  std::uint64_t seed = first;
  LoopEnd end;
  while (!out_of_time()) {
    std::vector<Script> scripts;
    std::vector<std::uint64_t> seeds;
    for (std::size_t i = 0; i < batch && !out_of_time(); ++i, seed += stride) {
      auto script = generated(seed, o.profile);
      if (!script) {
        end.error = script.error();
        return end;
      }
      std::uint64_t allocations = 0;
      auto r = test_script(*script, model_only, &stats, &allocations);
      if (!r) {
        end.error = Error{fmt::format("seed {}: {}", seed, r.error().message)};
        return end;
      }
      ++stats.scripts;
      if (r->has_value()) {
        end.failing_seed = seed;
        return end;
      }
      if (auto k = injection_point(seed, allocations)) {
        if (run_fail_point(*script, *k, o.profile, &stats).problem) {
          end.failing_seed = seed;
          return end;
        }
      }
      if (o.kernel && !batched) {
        auto k = test_script(*script, with_kernel);
        if (!k) {
          if (stopped(o)) break;
          end.error = Error{fmt::format("seed {}: {}", seed, k.error().message)};
          return end;
        }
        if (k->has_value()) {
          end.failing_seed = seed;
          return end;
        }
      } else if (o.kernel) {
        scripts.push_back(std::move(script.value()));
        seeds.push_back(seed);
      }
      maybe_tick();
    }
    if (!scripts.empty()) {
      auto verdicts = verify_scripts(scripts);
      for (std::size_t i = 0; i < verdicts.size(); ++i) {
        const Verification& v = verdicts[i];
        if (v.outcome == Verification::Outcome::kernel_error ||
            v.outcome == Verification::Outcome::script_error) {
          if (stopped(o)) break;
          end.error = Error{fmt::format("seed {}: {}", seeds[i], v.error)};
          return end;
        }
        // A difference only the joined run showed is not this script's.
        if (v.outcome == Verification::Outcome::differ && v.note.empty()) {
          end.failing_seed = seeds[i];
          return end;
        }
      }
      maybe_tick();
    }
  }
  stats.seconds = elapsed();
  return end;
}

Result<FuzzFinding> reproduce(const FuzzOptions& o, std::uint64_t seed) {
  FuzzFinding found;
  found.seed = seed;
  found.gen = fuzz_shape(seed);
  found.gen.profile = o.profile;
  found.script = generate_script(found.gen);
  auto script = parse_script(found.script, "<gen>");
  if (!script) return script.error();
  // As the loop ran it: the model, one allocation failure, the kernel.
  TestOptions topts;
  topts.profile = o.profile;
  topts.reference = o.reference;
  std::uint64_t allocations = 0;
  auto r = test_script(*script, topts, nullptr, &allocations);
  if (!r) return r.error();
  if (!r->has_value()) {
    if (auto k = injection_point(seed, allocations)) {
      const FailPoint p = fail_point(*script, *k, o.profile);
      if (p.problem) r = std::optional<Failure>{alloc_failure(p)};
    }
  }
  if (!r->has_value() && o.kernel) {
    topts.kernel = true;
    r = test_script(*script, topts);
    if (!r) return r.error();
  }
  if (!r->has_value())
    return Error{
        fmt::format("seed {} failed once but passes when run again (a flaky kernel "
                    "comparison?)",
                    seed)};
  found.failure = **r;
  topts.kernel = found.failure.kind == Failure::Kind::disagreement;
  const Script small = shrink_failure(*script, found.failure, topts, &found.shrink);
  const GenOptions& g = found.gen;
  std::string how;
  switch (found.failure.kind) {
    case Failure::Kind::violation:
      how = "invariant " + found.failure.what;
      break;
    case Failure::Kind::disagreement:
      how = "the kernel disagrees (" + found.failure.what + ")";
      break;
    case Failure::Kind::divergence:
      how = fmt::format("the reference rules ({}) disagree ({})", o.reference->name,
                        found.failure.what);
      break;
    case Failure::Kind::alloc_failure:
      how = "with an allocation failing (run --fail-each): " + found.failure.what;
      break;
  }
  found.shrunk = fmt::format(
      "# shrunk by rmaplab fuzz from: rmaplab gen --seed {} --procs {} --ops {}{}\n"
      "# it fails: {}\n",
      g.seed, g.procs, g.ops, g.profile ? fmt::format(" --profile {}", g.profile->name) : "", how);
  found.shrunk += script_text(small);
  found.shrunk_ops = static_cast<int>(small.ops.size());
  auto final_script = parse_script(found.shrunk, "shrunk.rml");
  if (!final_script) return final_script.error();
  if (found.failure.kind == Failure::Kind::alloc_failure) {
    auto p = first_fail_point(*final_script, o.profile, found.failure.what);
    found.shrunk_failure = p ? alloc_failure(*p) : found.failure;
    return found;
  }
  auto again = test_script(*final_script, topts);
  if (!again) return again.error();
  found.shrunk_failure = again->value_or(found.failure);
  return found;
}

}  // namespace fuzz_internal

Result<FuzzResult> fuzz(const FuzzOptions& options) {
  using namespace fuzz_internal;
  if (options.kernel)
    if (auto probe = kernel::probe(); !probe) return probe.error();
  if (options.jobs > 1) return fuzz_parallel(options);

  FuzzResult result;
  auto tick = [&] {
    if (options.progress) options.progress(result.stats);
  };
  LoopEnd end = run_loop(options, options.seed, 1, options.max_scripts, result.stats, tick);
  if (options.progress) options.progress(result.stats);
  if (end.error) return *end.error;
  if (end.failing_seed) {
    auto found = reproduce(options, *end.failing_seed);
    if (!found) return found.error();
    result.finding = std::move(found.value());
  }
  return result;
}

}  // namespace rmaplab
