// Write faults per page, in the model and on the running kernel, over one
// private rw VMA of P pages (P = 65536; 4096 with --quick). One iteration
// faults every page once; ns_per_fault = its time / P, items/s = faults/s.
//
//   model_first_write_fault/pages:P   handle_write_fault on unmapped pages
//                                     (do_anonymous_page; the anon_vma exists
//                                     from an untimed first pass, and
//                                     MADV_DONTNEED between iterations).
//   model_cow_copy_fault/pages:P      after fork, the child writes every
//                                     page: wp_page_copy (fork and exit untimed).
//   model_cow_reuse_fault/pages:P     after fork and the child's exit, the
//                                     parent writes every page: do_wp_page
//                                     reuses the folio (folio_move_anon_rmap).
//   kernel_first_write_fault/pages:P  the same three on the kernel, one byte
//   kernel_cow_copy_fault/pages:P     written per page, timed with
//   kernel_cow_reuse_fault/pages:P    CLOCK_MONOTONIC around the write loop.
//                                     MADV_NOHUGEPAGE keeps the folios order 0,
//                                     as the model's are. The kernel zeroes or
//                                     copies 4 KiB per fault; the model copies
//                                     no data.
//
// All use manual time: only the fault loop is timed. ns_per_fault is wall
// time; cpu_ns_per_fault the faulting thread's CPU time, which other load on
// the machine disturbs less.
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bench.h"
#include "model/env.h"
#include "model/syscalls.h"

namespace rmaplab::bench {
namespace {

using model::Env;
using model::Machine;

// Wall and CPU time of one timed stretch, or their sums.
struct Times {
  double wall_ns = 0, cpu_ns = 0;
  Times& operator+=(const Times& o) {
    wall_ns += o.wall_ns;
    cpu_ns += o.cpu_ns;
    return *this;
  }
};

class Stopwatch {
 public:
  Stopwatch() : wall_(now(CLOCK_MONOTONIC)), cpu_(now(CLOCK_THREAD_CPUTIME_ID)) {}
  Times elapsed() const {
    return {now(CLOCK_MONOTONIC) - wall_, now(CLOCK_THREAD_CPUTIME_ID) - cpu_};
  }

 private:
  static double now(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  }
  double wall_, cpu_;
};

enum class Kind { first_write, cow_copy, cow_reuse };

void finish(benchmark::State& state, std::uint32_t pages, const Times& total) {
  const double faults = static_cast<double>(state.iterations()) * pages;
  state.SetItemsProcessed(state.iterations() * pages);  // items/s = faults/s
  state.counters["ns_per_fault"] = ns_per(total.wall_ns, faults);
  state.counters["cpu_ns_per_fault"] = ns_per(total.cpu_ns, faults);
}

void model_faults(benchmark::State& state, Kind kind) {
  const auto pages = static_cast<std::uint32_t>(state.range(0));
  Env env(Env::Options{.record_events = false});
  Machine m(env);
  m.apply(Op{.verb = Verb::spawn, .proc = 0});
  if (m.apply(Op{.verb = Verb::mmap, .proc = 0, .a = 0, .n = pages, .prot = Prot::rw}).error)
    return state.SkipWithError("model mmap failed");
  model::mm_struct& parent = *m.process(0);
  auto write_all = [&](model::mm_struct& mm) {
    for (std::uint32_t p = 0; p < pages; ++p)
      if (model::handle_write_fault(m, mm, p)) return false;
    return true;
  };
  // The untimed first pass: the anon_vma and, for COW, the folios to share.
  if (!write_all(parent)) return state.SkipWithError("model write fault failed");
  const Op fork_op{.verb = Verb::fork, .proc = 0, .child = 1};
  const Op exit_op{.verb = Verb::exit, .proc = 1};

  Times total;
  for (auto _ : state) {
    model::mm_struct* target = &parent;
    switch (kind) {
      case Kind::first_write:
        model::do_madvise(m, parent, 0, pages, Advice::dontneed);
        break;
      case Kind::cow_copy:
        m.apply(fork_op);
        target = m.process(1);
        break;
      case Kind::cow_reuse:
        m.apply(fork_op);
        m.apply(exit_op);
        break;
    }
    const Stopwatch watch;
    const bool ok = write_all(*target);
    const Times t = watch.elapsed();
    if (kind == Kind::cow_copy) m.apply(exit_op);
    if (!ok) return state.SkipWithError("model write fault failed");
    state.SetIterationTime(t.wall_ns * 1e-9);
    total += t;
  }
  finish(state, pages, total);
}

// Writes one byte per page of [base, base + pages pages); returns the time.
Times touch(char* base, std::uint32_t pages) {
  const Stopwatch watch;
  for (std::uint32_t p = 0; p < pages; ++p)
    static_cast<volatile char*>(base)[static_cast<std::size_t>(p) * kPageSize] = 1;
  return watch.elapsed();
}

void kernel_faults(benchmark::State& state, Kind kind) {
  const auto pages = static_cast<std::uint32_t>(state.range(0));
  const std::size_t len = static_cast<std::size_t>(pages) * kPageSize;
  void* mem = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return state.SkipWithError((std::string("mmap: ") + strerror(errno)).c_str());
  char* base = static_cast<char*>(mem);
  madvise(base, len, MADV_NOHUGEPAGE);
  touch(base, pages);

  Times total;
  std::string error;
  for (auto _ : state) {
    Times t;
    if (kind == Kind::first_write) {
      madvise(base, len, MADV_DONTNEED);
      t = touch(base, pages);
    } else {
      int fds[2];
      if (pipe(fds) != 0) {
        error = std::string("pipe: ") + strerror(errno);
        break;
      }
      const pid_t pid = fork();
      if (pid == 0) {
        // cow_copy: the child writes the shared pages. cow_reuse: it just goes.
        const Times child = kind == Kind::cow_copy ? touch(base, pages) : Times{};
        _exit(write(fds[1], &child, sizeof child) == sizeof child ? 0 : 1);
      }
      close(fds[1]);
      Times child;
      const bool got = pid > 0 && read(fds[0], &child, sizeof child) == sizeof child;
      close(fds[0]);
      if (pid > 0) waitpid(pid, nullptr, 0);
      if (!got) {
        error = "the faulting child failed";
        break;
      }
      t = kind == Kind::cow_copy ? child : touch(base, pages);
    }
    state.SetIterationTime(t.wall_ns * 1e-9);
    total += t;
  }
  munmap(mem, len);
  if (!error.empty()) return state.SkipWithError(error.c_str());
  finish(state, pages, total);
}

}  // namespace

void register_fault_benchmarks(const Config& config) {
  const std::int64_t pages = config.quick ? 1 << 12 : 1 << 16;
  struct Entry {
    const char* name;
    void (*fn)(benchmark::State&, Kind);
    Kind kind;
  };
  const Entry entries[] = {
      {"model_first_write_fault", model_faults, Kind::first_write},
      {"model_cow_copy_fault", model_faults, Kind::cow_copy},
      {"model_cow_reuse_fault", model_faults, Kind::cow_reuse},
      {"kernel_first_write_fault", kernel_faults, Kind::first_write},
      {"kernel_cow_copy_fault", kernel_faults, Kind::cow_copy},
      {"kernel_cow_reuse_fault", kernel_faults, Kind::cow_reuse},
  };
  for (const Entry& e : entries)
    benchmark::RegisterBenchmark(e.name, e.fn, e.kind)
        ->ArgName("pages")
        ->Arg(pages)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace rmaplab::bench
