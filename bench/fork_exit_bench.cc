// fork+exit per VMA, in the model and on the running kernel, over the same
// layout: N one-page private rw VMAs with one-page gaps (pages 0, 2, 4, ...),
// each written once, so each has its own anon_vma, one AVC and one folio.
//
//   model_fork_exit/vmas:N         Machine::apply(fork) + apply(exit): dup_mmap
//                                  into a fresh mm_struct, exit_mmap, release.
//                                  Env without the event log.
//   model_fork_exit_events/vmas:N  the same with the event log (what `rmaplab
//                                  run` pays).
//   model_build/vmas:N             building that process: mmap + first write
//                                  per VMA; also bytes_per_vma, the heap the
//                                  whole model (Env, Machine, process) holds
//                                  per VMA (mallinfo2).
//   kernel_fork_exit/vmas:N        fork() + child _exit(0) + waitpid, timed in
//                                  a "lab" child of the benchmark that mapped
//                                  the N VMAs (the benchmark's own address
//                                  space stays clean). The lab first times the
//                                  same loop without the VMAs: baseline_ns.
//
// Counters: ns_per_vma = wall time per iteration / N; cpu_ns_per_vma the
// same in CPU time (the model: this process's; the kernel: the lab's and its
// reaped children's, from getrusage), which a loaded machine disturbs less.
// Kernel only: net_ns_per_vma = (time per iteration - baseline_ns) / N, the
// cost the VMAs add, and cpu_net_ns_per_vma from baseline_cpu_ns.
#include <malloc.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "bench.h"
#include "model/env.h"
#include "model/syscalls.h"

namespace rmaplab::bench {
namespace {

using model::Env;
using model::Machine;

double clock_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}
double now_ns() { return clock_ns(CLOCK_MONOTONIC); }
double cpu_ns() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

// The objects a model holds, to check that fork+exit leaves none behind.
struct Live {
  std::size_t anon_vmas, avcs, vmas, folios;
  explicit Live(const Env& e)
      : anon_vmas(e.live_anon_vmas()),
        avcs(e.live_avcs()),
        vmas(e.live_vmas()),
        folios(e.live_folios()) {}
  bool operator==(const Live&) const = default;
};

const Op kFork{.verb = Verb::fork, .proc = 0, .child = 1};
const Op kExit{.verb = Verb::exit, .proc = 1};

// One model process with its own Env, rebuilt when the event log grows big.
struct ModelProcess {
  std::unique_ptr<Env> env;
  std::unique_ptr<Machine> machine;

  bool build(std::int64_t n, bool record_events) {
    machine.reset();
    env = std::make_unique<Env>(Env::Options{.record_events = record_events});
    machine = std::make_unique<Machine>(*env);
    return build_gapped_process(*machine, 0, n);
  }
};

void model_fork_exit(benchmark::State& state, bool record_events) {
  const std::int64_t n = state.range(0);
  // ~32 MB of Event log, then start over (untimed) so long runs stay bounded.
  constexpr std::size_t kEventCap = std::size_t{1} << 22;
  ModelProcess p;
  if (!p.build(n, record_events)) return state.SkipWithError("model refused the setup");
  const Live before(*p.env);

  double paused_ns = 0, paused_cpu_ns = 0;
  const double start = now_ns(), start_cpu = cpu_ns();
  for (auto _ : state) {
    if (p.machine->apply(kFork).error) return state.SkipWithError("model fork failed");
    p.machine->apply(kExit);
    if (record_events && p.env->events().size() > kEventCap) {
      state.PauseTiming();
      const double t = now_ns(), c = cpu_ns();
      p.build(n, record_events);
      paused_ns += now_ns() - t;
      paused_cpu_ns += cpu_ns() - c;
      state.ResumeTiming();
    }
  }
  const double total = now_ns() - start - paused_ns;
  const double total_cpu = cpu_ns() - start_cpu - paused_cpu_ns;
  if (!(Live(*p.env) == before)) return state.SkipWithError("fork+exit leaked model objects");

  const double iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * n);  // items/s = VMAs/s
  state.counters["ns_per_vma"] = ns_per(total, iters * static_cast<double>(n));
  state.counters["cpu_ns_per_vma"] = ns_per(total_cpu, iters * static_cast<double>(n));
}

std::size_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void model_build(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  double bytes_per_vma = 0;
  double timed_ns = 0;
  for (auto _ : state) {
    const std::size_t heap0 = heap_in_use();
    const double t = now_ns();
    ModelProcess p;
    if (!p.build(n, /*record_events=*/false)) return state.SkipWithError("model refused the setup");
    timed_ns += now_ns() - t;
    state.PauseTiming();
    bytes_per_vma = static_cast<double>(heap_in_use() - heap0) / static_cast<double>(n);
    p = ModelProcess{};  // teardown is not what this measures
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_vma"] =
      ns_per(timed_ns, static_cast<double>(state.iterations()) * static_cast<double>(n));
  state.counters["bytes_per_vma"] = bytes_per_vma;
}

// --- the kernel side ---

// The lab: a child of the benchmark process that owns the N VMAs and runs
// fork+exit+wait loops on request. Protocol over two pipes:
//   lab -> us: Ready once; then one Times per request (wall < 0: error).
//   us -> lab: uint32 count (0: exit).
class KernelLab {
 public:
  struct Times {
    double wall_ns = 0;  // CLOCK_MONOTONIC
    double cpu_ns = 0;   // the lab's and its reaped children's CPU time
  };
  struct Ready {
    int error = 0;   // errno of the setup step that failed, or 0
    Times baseline;  // one round, without the VMAs
  };

  KernelLab() = default;
  KernelLab(const KernelLab&) = delete;
  KernelLab& operator=(const KernelLab&) = delete;
  ~KernelLab() { stop(); }

  // Starts the lab with n VMAs. Returns an error message, or "" on success.
  std::string start(std::int64_t n, double baseline_min_ns) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) return std::string("pipe: ") + strerror(errno);
    pid_ = fork();
    if (pid_ < 0) return std::string("fork: ") + strerror(errno);
    if (pid_ == 0) {
      close(down[1]);
      close(up[0]);
      lab_main(down[0], up[1], n, baseline_min_ns);  // does not return
    }
    close(down[0]);
    close(up[1]);
    to_lab_ = down[1];
    from_lab_ = up[0];
    if (!read_all(from_lab_, &ready_, sizeof ready_)) return "the lab died during setup";
    if (ready_.error) return std::string("lab setup: ") + strerror(ready_.error);
    return "";
  }

  const Times& baseline() const { return ready_.baseline; }

  // The time `count` fork+exit+wait rounds took; wall_ns < 0 on error.
  Times run(std::uint32_t count) {
    Times t{-1, -1};
    if (!write_all(to_lab_, &count, sizeof count) || !read_all(from_lab_, &t, sizeof t))
      return {-1, -1};
    return t;
  }

  void stop() {
    if (pid_ <= 0) return;
    const std::uint32_t zero = 0;
    write_all(to_lab_, &zero, sizeof zero);
    close(to_lab_);
    close(from_lab_);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static bool read_all(int fd, void* buf, std::size_t len) {
    auto* p = static_cast<char*>(buf);
    while (len > 0) {
      const ssize_t r = read(fd, p, len);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      len -= static_cast<std::size_t>(r);
    }
    return true;
  }
  static bool write_all(int fd, const void* buf, std::size_t len) {
    const auto* p = static_cast<const char*>(buf);
    while (len > 0) {
      const ssize_t r = write(fd, p, len);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      len -= static_cast<std::size_t>(r);
    }
    return true;
  }

  // CPU time of this process and its reaped children: fork's dup_mmap runs
  // in the lab, the child's exit_mmap in the child.
  static double rusage_ns() {
    double ns = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
      rusage ru{};
      getrusage(who, &ru);
      for (const timeval& tv : {ru.ru_utime, ru.ru_stime})
        ns += static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3;
    }
    return ns;
  }

  // count rounds of fork + _exit(0) + waitpid; wall_ns < 0 on error.
  static Times time_forks(std::uint32_t count) {
    const double t0 = now_ns(), c0 = rusage_ns();
    for (std::uint32_t i = 0; i < count; ++i) {
      const pid_t pid = fork();
      if (pid == 0) _exit(0);
      if (pid < 0 || waitpid(pid, nullptr, 0) != pid) return {-1, -1};
    }
    return {now_ns() - t0, rusage_ns() - c0};
  }

  [[noreturn]] static void lab_main(int in, int out, std::int64_t n, double baseline_min_ns) {
    Ready ready;
    malloc_trim(0);  // what the benchmark freed need not be copied at each fork
    // Baseline: the same loop before the VMAs exist, after a short warm-up.
    time_forks(10);
    Times base;
    int base_rounds = 0;
    while (base_rounds < 20 || base.wall_ns < baseline_min_ns) {
      const Times t = time_forks(10);
      if (t.wall_ns < 0) {
        ready.error = errno ? errno : EIO;
        break;
      }
      base.wall_ns += t.wall_ns;
      base.cpu_ns += t.cpu_ns;
      base_rounds += 10;
    }
    if (!ready.error) ready.baseline = {base.wall_ns / base_rounds, base.cpu_ns / base_rounds};

    // The layout: one page every other page from the arena base, written.
    for (std::int64_t i = 0; i < n && !ready.error; ++i) {
      void* want =
          reinterpret_cast<void*>(kArenaBase + 2 * static_cast<std::uint64_t>(i) * kPageSize);
      void* got = mmap(want, kPageSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (got != want) {
        ready.error = got == MAP_FAILED ? errno : EEXIST;
        break;
      }
      *static_cast<volatile char*>(got) = 1;
    }
    if (!ready.error) time_forks(3);  // warm up with the VMAs in place
    if (!write_all(out, &ready, sizeof ready) || ready.error) _exit(1);

    for (;;) {
      std::uint32_t count = 0;
      if (!read_all(in, &count, sizeof count) || count == 0) _exit(0);
      const Times t = time_forks(count);
      if (!write_all(out, &t, sizeof t)) _exit(1);
    }
  }

  pid_t pid_ = -1;
  int to_lab_ = -1, from_lab_ = -1;
  Ready ready_;
};

void kernel_fork_exit(benchmark::State& state, double baseline_min_ns) {
  const std::int64_t n = state.range(0);
  KernelLab lab;
  if (std::string err = lab.start(n, baseline_min_ns); !err.empty())
    return state.SkipWithError(err.c_str());
  double wall = 0, cpu = 0;
  for (auto _ : state) {
    const KernelLab::Times t = lab.run(1);
    if (t.wall_ns < 0) return state.SkipWithError("fork+exit+wait failed in the lab");
    state.SetIterationTime(t.wall_ns * 1e-9);
    wall += t.wall_ns;
    cpu += t.cpu_ns;
  }
  lab.stop();
  const double iters = static_cast<double>(state.iterations());
  const double vmas = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_vma"] = wall / iters / vmas;
  state.counters["net_ns_per_vma"] = (wall / iters - lab.baseline().wall_ns) / vmas;
  state.counters["baseline_ns"] = lab.baseline().wall_ns;
  state.counters["cpu_ns_per_vma"] = cpu / iters / vmas;
  state.counters["cpu_net_ns_per_vma"] = (cpu / iters - lab.baseline().cpu_ns) / vmas;
  state.counters["baseline_cpu_ns"] = lab.baseline().cpu_ns;
}

}  // namespace

void register_fork_exit_benchmarks(const Config& config) {
  const std::vector<std::int64_t> ns = vma_counts(config);
  auto model = benchmark::RegisterBenchmark("model_fork_exit", model_fork_exit, false);
  auto events = benchmark::RegisterBenchmark("model_fork_exit_events", model_fork_exit, true);
  auto build = benchmark::RegisterBenchmark("model_build", model_build);
  auto kernel =
      benchmark::RegisterBenchmark("kernel_fork_exit", kernel_fork_exit, config.quick ? 2e7 : 1e8);
  for (auto* b : {model, events, build, kernel}) {
    b->ArgName("vmas")->Unit(benchmark::kMicrosecond);
    for (std::int64_t n : ns) b->Arg(n);
  }
  // The model's own ns_per_vma is wall time (steady clock), like the kernel's.
  kernel->UseManualTime();
}

}  // namespace rmaplab::bench
