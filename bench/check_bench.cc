// rmaplab-check-bench: what the invariant check costs per operation, the
// full check (check_invariants) next to the touched one (check_touched), on
// workloads where the full check is quadratic. Measured in one run; CPU time.
//
//   cmake --build --preset release --target rmaplab-check-bench
//   ./build/release/bench/rmaplab-check-bench                  # every workload, no + touched
//   ./build/release/bench/rmaplab-check-bench --full           # also the full check per op
//   ./build/release/bench/rmaplab-check-bench writes --scale=0.1 --full
//   ./build/release/bench/rmaplab-check-bench --print=vmas > vmas.rml   # the script itself
//
// Catalogue (sizes at --scale=1):
//
//   writes      one process, one 100,000-page mapping, 100,000 one-page
//               writes to distinct pages (a first-write fault each)
//   vmas        one process, a 50,000-page mapping written once, then
//               25,000 mprotects of every other page: 50,001 VMAs on one
//               anon_vma, each mprotect splitting the big remainder
//   fork_chain  P0 maps and writes one page; P_i forks P_i+1, which writes
//               it (a COW copy), 1,000 generations with every parent alive:
//               the child's chain has i+1 anon_vmas, the root's tree i VMAs
//
// For each: the model recording nothing (no reset_touched: what `run`
// without --check pays), with no check, with check_touched after every
// operation, and (--full) with check_invariants after every operation;
// Env::reset_touched() before each operation in those, as the run driver
// does. The ratios are against the run with no check; a false alarm
// (check_touched suspecting a valid state, which costs a full check) is
// counted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check/check.h"
#include "model/machine.h"
#include "rmaplab/script.h"

namespace rmaplab {
namespace {

std::string writes_script(double scale) {
  const int n = static_cast<int>(100000 * scale);
  std::string s = "spawn P\nP mmap 0 " + std::to_string(n) + "\n";
  for (int i = 0; i < n; ++i) s += "P write " + std::to_string(i) + "\n";
  return s;
}

std::string vmas_script(double scale) {
  const int n = static_cast<int>(25000 * scale);
  std::string s =
      "spawn P\nP mmap 0 " + std::to_string(2 * n) + "\nP write 0 " + std::to_string(2 * n) + "\n";
  for (int i = 0; i < n; ++i) s += "P mprotect " + std::to_string(2 * i + 1) + " 1 r\n";
  return s;
}

std::string fork_chain_script(double scale) {
  const int n = static_cast<int>(1000 * scale);
  std::string s = "spawn P0\nP0 mmap 0 1\nP0 write 0\n";
  for (int i = 0; i < n; ++i) {
    const std::string c = "P" + std::to_string(i + 1);
    s += "P" + std::to_string(i) + " fork " + c + "\n" + c + " write 0\n";
  }
  return s;
}

struct Workload {
  std::string_view name;
  std::string (*script)(double scale);
};
constexpr Workload kWorkloads[] = {
    {"writes", writes_script}, {"vmas", vmas_script}, {"fork_chain", fork_chain_script}};

enum class Mode { untracked, none, touched, full };

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds to run `script` in `mode`; exits on a violation (there is none
// in these workloads under linux-6.18).
double run(const Script& script, Mode mode) {
  model::Env::Options options;
  options.record_events = false;
  model::Env env(options);
  model::Machine machine(env);
  const double start = cpu_seconds();
  for (const Op& op : script.ops) {
    if (mode != Mode::untracked) env.reset_touched();
    machine.apply(op);
    std::optional<Finding> f;
    if (mode == Mode::touched) f = check_touched(machine, script.procs);
    if (mode == Mode::full) f = check_invariants(machine, script.procs);
    if (f) {
      std::fprintf(stderr, "line %d: %s: %s\n", op.line, f->rule.c_str(), f->message.c_str());
      std::exit(1);
    }
  }
  return cpu_seconds() - start;
}

int main(int argc, char** argv) {
  double scale = 1;
  bool full = false;
  std::string print;
  std::vector<std::string_view> only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--scale=")) {
      scale = std::atof(argv[i] + 8);
    } else if (a == "--full") {
      full = true;
    } else if (a.starts_with("--print=")) {
      print = a.substr(8);
    } else if (!a.starts_with("--")) {
      only.push_back(a);
    } else {
      std::fprintf(stderr, "rmaplab-check-bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!(scale > 0)) {
    std::fprintf(stderr, "rmaplab-check-bench: --scale must be positive\n");
    return 2;
  }
  bool any = false;
  for (const Workload& w : kWorkloads) {
    if (!print.empty()) {
      if (w.name == print) {
        std::fputs(w.script(scale).c_str(), stdout);
        return 0;
      }
      continue;
    }
    if (!only.empty() && std::find(only.begin(), only.end(), w.name) == only.end()) continue;
    any = true;
    auto parsed = parse_script(w.script(scale), std::string(w.name) + ".rml");
    if (!parsed) {
      std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
      return 2;
    }
    const double untracked = run(*parsed, Mode::untracked);
    const double none = run(*parsed, Mode::none);
    const std::uint64_t alarms = check_touched_false_alarms();
    const double touched = run(*parsed, Mode::touched);
    std::printf(
        "%-10s %7zu ops  not recording %7.3f s  no check %7.3f s  touched %8.3f s (%6.2fx, %llu "
        "false alarms)",
        w.name.data(), parsed->ops.size(), untracked, none, touched, touched / none,
        static_cast<unsigned long long>(check_touched_false_alarms() - alarms));
    if (full) {
      const double all = run(*parsed, Mode::full);
      std::printf("  full %9.3f s (%7.2fx; touched is %.1fx faster)", all, all / none,
                  all / touched);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  if (!any && print.empty()) {
    std::fprintf(stderr, "rmaplab-check-bench: no workload named so (writes, vmas, fork_chain)\n");
    return 2;
  }
  if (!print.empty()) {
    std::fprintf(stderr, "rmaplab-check-bench: no workload %s\n", print.c_str());
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace rmaplab

int main(int argc, char** argv) { return rmaplab::main(argc, argv); }
