// What the benchmark files of rmaplab-bench share: how a run is configured,
// how each file registers its benchmarks, and the pieces of the model setup
// more than one file needs. The catalogue of benchmarks is at the top of
// bench_main.cc; the shared setup is in bench.cc.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "model/machine.h"

namespace rmaplab::bench {

struct Config {
  bool quick = false;  // --quick: N = 1, 100 only, small fault regions, short runs
  int cpu = -1;        // the CPU the process is pinned to (-1: not pinned)
};

// The N values (VMAs per process) the fork+exit and build benchmarks use.
std::vector<std::int64_t> vma_counts(const Config& config);

// Each file adds its benchmarks (benchmark::RegisterBenchmark), named as in
// the catalogue, with the argument named "vmas" or "pages".
void register_fork_exit_benchmarks(const Config& config);
void register_fault_benchmarks(const Config& config);

// Model setup: process `slot` gets `n` one-page private rw VMAs at pages
// 0, 2, 4, ... (the gaps keep them from merging), each written once so it
// has its own anon_vma and one exclusive folio. Returns false if the model
// refused an operation (it should not).
bool build_gapped_process(model::Machine& m, int slot, std::int64_t n);

// ns per item from a measured total, as a plain counter (not a rate), so the
// console shows "ns_per_vma=123.4" and the summary can read it back.
inline benchmark::Counter ns_per(double total_ns, double items) {
  return benchmark::Counter(items > 0 ? total_ns / items : 0.0);
}

}  // namespace rmaplab::bench
