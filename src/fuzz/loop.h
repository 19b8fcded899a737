// The fuzzing loop, shared by fuzz() in one process (fuzzer.cc) and its
// forked workers (workers.cc). Internal to src/fuzz.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "rmaplab/fuzz.h"

namespace rmaplab::fuzz_internal {

struct LoopEnd {
  std::optional<std::uint64_t> failing_seed;  // the first script that failed
  std::optional<Error> error;
};

// Tests the scripts of seeds first, first + stride, ... until options'
// time, `max_scripts` (0: no limit) or the stop flag ends it, or one fails.
// Adds to `stats`; calls tick() about once a second (stats.seconds set).
LoopEnd run_loop(const FuzzOptions& options, std::uint64_t first, std::uint64_t stride,
                 std::uint64_t max_scripts, FuzzStats& stats, const std::function<void()>& tick);

std::uint64_t mix(std::uint64_t seed);  // splitmix64

// test_script, also giving the number of anon_vma/AVC allocations made.
Result<std::optional<Failure>> test_script(const Script& script, const TestOptions& options,
                                           FuzzStats* stats, std::uint64_t* allocations);

// Every fourth script (by seed) also runs with one allocation failing
// (fail_point): which one, among the `allocations` of its clean run.
std::optional<std::uint64_t> injection_point(std::uint64_t seed, std::uint64_t allocations);

// A failing FailPoint as a Failure.
Failure alloc_failure(const FailPoint& p);

// Regenerates the script of `seed`, confirms it fails and shrinks it.
Result<FuzzFinding> reproduce(const FuzzOptions& options, std::uint64_t seed);

// fuzz() with options.jobs worker processes.
Result<FuzzResult> fuzz_parallel(const FuzzOptions& options);

}  // namespace rmaplab::fuzz_internal
