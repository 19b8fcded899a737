// rmaplab-bench: how fast the model is next to the kernel it models, measured
// in one run on one pinned CPU.
//
//   cmake --preset release && cmake --build --preset release --target rmaplab-bench
//   ./build/release/bench/rmaplab-bench                 # everything, under a minute
//   ./build/release/bench/rmaplab-bench --quick         # CI smoke: N = 1, 100; a few seconds
//   ./build/release/bench/rmaplab-bench --benchmark_filter='fork_exit/vmas:1000(/|$)'
//   cmake --build --preset release --target bench       # (or bench-quick)
//
// Catalogue (N = VMAs: 1, 100, 1000, 10000; P = pages: 65536, --quick 4096):
//
//   model_fork_exit/vmas:N          model fork+exit of a process with N
//                                   one-page VMAs, each with its own anon_vma
//                                   and folio (no event log)       fork_exit_bench.cc
//   model_fork_exit_events/vmas:N   the same, recording the event log
//   model_build/vmas:N              building that process (mmap + first
//                                   write per VMA); heap bytes per VMA
//   kernel_fork_exit/vmas:N         the same layout on the kernel: fork +
//                                   _exit + waitpid, with the baseline of
//                                   the process without the N VMAs
//   model_first_write_fault/pages:P first-write fault per page   fault_bench.cc
//   model_cow_copy_fault/pages:P    COW write fault, copy (child after fork)
//   model_cow_reuse_fault/pages:P   COW write fault, reuse (parent after the
//                                   child exited)
//   kernel_*_fault/pages:P          the same three on the kernel
//
// Then a summary: model vs kernel ns per VMA for each N with the ratio
// kernel/model, in wall time and in CPU time; fault rates with their ratios;
// the object sizes of the model next to the kernel's slab object sizes. Ratios are only printed for
// pairs measured in this run (a --benchmark_filter may leave one side out).
//
// Names are "FAMILY/vmas:N" or "FAMILY/pages:P", plus "/manual_time" where
// only part of an iteration is timed; --benchmark_filter is a regex search,
// so anchor N with (/|$) ("vmas:1000" alone also matches vmas:10000).
//
// Flags of our own (the rest are Google Benchmark's):
//   --quick      N = 1, 100; small fault regions; --benchmark_min_time=0.05
//                (default 0.5; a --benchmark_min_time given later wins)
//   --cpu=K      pin to CPU K (default: the last CPU we may use); --cpu=-1: no pin
// For JSON, use --benchmark_out=FILE --benchmark_out_format=json: the console
// display and the summary stay on stdout.
//
// Everything runs pinned to one CPU (the kernel's fork children too), so the
// numbers say nothing about scaling; run on an otherwise idle machine. An
// enabled kmem tracepoint (rmaplab verify, or any tracefs instance) slows the
// kernel's every slab allocation; the summary says so when it sees one.
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench.h"
#include "model/anon_vma.h"
#include "model/folio.h"
#include "model/vma.h"

namespace rmaplab::bench {

namespace {

// The console reporter, keeping every run for the summary.
class Collector : public benchmark::ConsoleReporter {
 public:
  explicit Collector(bool color) : ConsoleReporter(color ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      // With repetitions, the median stands for the family instance.
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      Result& out = results_[r.run_name.function_name][arg_value(r.run_name.args)];
      if (r.run_type == Run::RT_Aggregate || !out.from_aggregate) {
        out.from_aggregate = r.run_type == Run::RT_Aggregate;
        out.counters.clear();
        for (const auto& [name, c] : r.counters) out.counters[name] = c.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // The counter `name` of benchmark `fn` with argument `arg`, or NaN.
  double get(const std::string& fn, std::int64_t arg, const std::string& name) const {
    auto f = results_.find(fn);
    if (f == results_.end()) return NAN;
    auto a = f->second.find(arg);
    if (a == f->second.end()) return NAN;
    auto c = a->second.counters.find(name);
    return c == a->second.counters.end() ? NAN : c->second;
  }
  bool empty() const { return results_.empty(); }
  bool any(const std::string& prefix) const {
    for (const auto& [fn, _] : results_)
      if (fn.rfind(prefix, 0) == 0) return true;
    return false;
  }

 private:
  struct Result {
    bool from_aggregate = false;
    std::map<std::string, double> counters;
  };
  static std::int64_t arg_value(const std::string& args) {  // "vmas:1000" -> 1000
    const auto colon = args.find(':');
    return std::strtoll(args.c_str() + (colon == std::string::npos ? 0 : colon + 1), nullptr, 10);
  }
  std::map<std::string, std::map<std::int64_t, Result>> results_;
};

std::string num(double v, const char* fmt = "%.1f") {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string ratio(double kernel, double model) {
  if (std::isnan(kernel) || std::isnan(model) || model <= 0) return "-";
  return num(kernel / model, "%.1fx");
}

// A slab cache's object size as this kernel reports it, or `fallback`.
std::string slab_size(const char* cache, int fallback) {
  std::ifstream in(std::string("/sys/kernel/slab/") + cache + "/object_size");
  int size = 0;
  if (in >> size) return std::to_string(size);
  return std::to_string(fallback) + " (6.18 x86-64)";
}

// The enabled kmem tracepoints of tracefs (top level and instances): each
// makes every kmem_cache_alloc/free on the machine pay for a trace event.
std::vector<std::string> enabled_kmem_tracepoints() {
  std::vector<std::string> found;
  std::error_code ec;
  const std::filesystem::path root = "/sys/kernel/tracing";
  std::vector<std::filesystem::path> dirs{root};
  for (const auto& inst : std::filesystem::directory_iterator(root / "instances", ec))
    dirs.push_back(inst.path());
  for (const auto& dir : dirs)
    for (const char* ev : {"kmem_cache_alloc", "kmem_cache_free"}) {
      std::ifstream in(dir / "events/kmem" / ev / "enable");
      int on = 0;
      if (in >> on && on) found.push_back((dir / "events/kmem" / ev).string());
    }
  return found;
}

void print_summary(const Collector& c, const Config& config) {
  utsname u{};
  uname(&u);
  std::printf(
      "\n=== rmaplab-bench summary (one run; kernel %s; %s) ===\n", u.release,
      config.cpu >= 0 ? ("pinned to CPU " + std::to_string(config.cpu)).c_str() : "not pinned");

  if (c.any("model_fork_exit") || c.any("kernel_fork_exit")) {
    std::printf(
        "\nfork+exit, ns per VMA (N one-page VMAs, each with its own anon_vma and folio)\n"
        "kernel net = (fork+exit+wait - the same without the VMAs) / N\n");
    // The same table twice: wall time, then CPU time (the model: this
    // process; the kernel: the lab and its children), which other load on
    // the machine disturbs less.
    for (const char* clock : {"wall", "cpu"}) {
      const std::string pre = std::strcmp(clock, "cpu") == 0 ? "cpu_" : "";
      std::printf("\n%s time\n%8s %10s %10s %12s %12s %12s %12s %12s\n", clock, "N", "model",
                  "model+ev", "kernel raw", "kernel net", "baseline us", "raw/model", "net/model");
      for (std::int64_t n : vma_counts(config)) {
        const double model = c.get("model_fork_exit", n, pre + "ns_per_vma");
        const double events = c.get("model_fork_exit_events", n, pre + "ns_per_vma");
        const double raw = c.get("kernel_fork_exit", n, pre + "ns_per_vma");
        const double net = c.get("kernel_fork_exit", n, pre + "net_ns_per_vma");
        const double base =
            c.get("kernel_fork_exit", n, pre.empty() ? "baseline_ns" : "baseline_cpu_ns") / 1000;
        std::printf("%8lld %10s %10s %12s %12s %12s %12s %12s\n", static_cast<long long>(n),
                    num(model).c_str(), num(events).c_str(), num(raw).c_str(), num(net).c_str(),
                    num(base).c_str(), ratio(raw, model).c_str(), ratio(net, model).c_str());
      }
    }
    // The goal: the model at least 10x faster per VMA where VMAs dominate
    // (at N = 1 the per-VMA cost drowns in the process's own).
    const std::int64_t n_goal = vma_counts(config).back() >= 1000 ? 1000 : 100;
    for (const char* clock : {"wall", "cpu"}) {
      const std::string pre = std::strcmp(clock, "cpu") == 0 ? "cpu_" : "";
      const double m = c.get("model_fork_exit", n_goal, pre + "ns_per_vma");
      const double k = c.get("kernel_fork_exit", n_goal, pre + "net_ns_per_vma");
      if (!std::isnan(m) && !std::isnan(k))
        std::printf(
            "goal at N=%lld, %s time: model >= 10x faster than the kernel per VMA (net): "
            "%s (%.1fx)\n",
            static_cast<long long>(n_goal), clock, k / m >= 10 ? "met" : "NOT met", k / m);
    }
  }

  if (c.any("kernel_")) {
    const std::vector<std::string> tps = enabled_kmem_tracepoints();
    if (!tps.empty()) {
      std::printf(
          "\nnote: kmem tracepoints were enabled during this run; kernel times include them:\n");
      for (const std::string& tp : tps) std::printf("  %s\n", tp.c_str());
    }
  }

  bool any_fault = false;
  for (const char* family :
       {"model_first_write_fault", "model_cow_copy_fault", "model_cow_reuse_fault",
        "kernel_first_write_fault", "kernel_cow_copy_fault", "kernel_cow_reuse_fault"})
    any_fault = any_fault || c.any(family);
  if (any_fault) {
    const std::int64_t pages = config.quick ? 1 << 12 : 1 << 16;
    std::printf("\nwrite faults over one %lld-page VMA: ns per fault (Mfaults/s)\n\n",
                static_cast<long long>(pages));
    std::printf("%-12s %18s %18s %8s %18s %18s %8s\n", "fault", "model wall", "kernel wall",
                "ratio", "model cpu", "kernel cpu", "ratio");
    for (const char* kind : {"first_write", "cow_copy", "cow_reuse"}) {
      const std::string model = std::string("model_") + kind + "_fault";
      const std::string kernel = std::string("kernel_") + kind + "_fault";
      auto cell = [](double ns) {
        return std::isnan(ns) ? std::string("-") : num(ns) + " (" + num(1e3 / ns, "%.2f") + ")";
      };
      std::printf("%-12s", kind);
      for (const char* counter : {"ns_per_fault", "cpu_ns_per_fault"}) {
        const double m = c.get(model, pages, counter), k = c.get(kernel, pages, counter);
        std::printf(" %18s %18s %8s", cell(m).c_str(), cell(k).c_str(), ratio(k, m).c_str());
      }
      std::printf("\n");
    }
    std::printf("(the kernel zeroes or copies 4 KiB per fault; the model moves no data)\n");
  }

  std::printf("\nobject sizes, bytes\n\n%-16s %8s %24s\n", "object", "model",
              "kernel (slab object)");
  std::printf("%-16s %8zu %24s\n", "anon_vma", sizeof(model::anon_vma),
              slab_size("anon_vma", 96).c_str());
  std::printf("%-16s %8zu %24s\n", "anon_vma_chain", sizeof(model::anon_vma_chain),
              slab_size("anon_vma_chain", 64).c_str());
  std::printf("%-16s %8zu %24s\n", "vm_area_struct", sizeof(model::vm_area_struct),
              slab_size("vm_area_struct", 192).c_str());
  std::printf("%-16s %8zu %24s\n", "folio", sizeof(model::folio), "64 (struct page)");
  const std::int64_t n_max = vma_counts(config).back();
  const double bytes = c.get("model_build", n_max, "bytes_per_vma");
  if (!std::isnan(bytes))
    std::printf(
        "\nmodel heap per VMA, %lld-VMA process (Env pools, VMA map, page tables; mallinfo2): "
        "%.0f bytes\n(the kernel's objects for one such VMA: vma + avc + anon_vma + struct page "
        "= 416 bytes, plus the 4 KiB page and PTEs)\n",
        static_cast<long long>(n_max), bytes);
}

// Pins the whole process (and so every child) to one CPU. Returns the CPU, or -1.
int pin(int wanted) {
  cpu_set_t allowed;
  if (wanted == -1 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  int cpu = wanted;
  if (cpu < -1) {  // default: the last CPU we may run on
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &allowed)) cpu = i;
  }
  if (cpu < 0) return -1;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    std::fprintf(stderr, "rmaplab-bench: cannot pin to CPU %d: %s\n", cpu, std::strerror(errno));
    return -1;
  }
  return cpu;
}

}  // namespace
}  // namespace rmaplab::bench

int main(int argc, char** argv) {
  using namespace rmaplab::bench;
  Config config;
  int wanted_cpu = -2;
  // A display reporter of our own ignores --benchmark_color: honour it here.
  bool color = isatty(STDOUT_FILENO);
  // Take our flags out before Google Benchmark sees the rest.
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      config.quick = true;
    } else if (a.rfind("--cpu=", 0) == 0) {
      wanted_cpu = std::atoi(a.c_str() + 6);
    } else {
      if (a.rfind("--benchmark_color=", 0) == 0) {
        const std::string v = a.substr(18);
        color = v == "true" || v == "yes" || v == "1" || (v == "auto" && isatty(STDOUT_FILENO));
      }
      if (a == "--help" || a == "-h")
        std::printf(
            "rmaplab-bench [--quick] [--cpu=K|-1] [Google Benchmark flags]\n"
            "The catalogue of benchmarks is at the top of bench/bench_main.cc;\n"
            "--benchmark_list_tests lists them.\n\n");
      rest.push_back(argv[i]);
    }
  }
  // Our default minimum time goes first, so one given on the command line wins.
  std::string min_time = config.quick ? "--benchmark_min_time=0.05" : "--benchmark_min_time=0.5";
  rest.insert(rest.begin() + 1, min_time.data());
  int rest_argc = static_cast<int>(rest.size());
  config.cpu = pin(wanted_cpu);
  register_fork_exit_benchmarks(config);
  register_fault_benchmarks(config);
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  Collector collector(color);
  benchmark::RunSpecifiedBenchmarks(&collector);
  if (!collector.empty()) print_summary(collector, config);
  benchmark::Shutdown();
  return 0;
}
