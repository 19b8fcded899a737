// rmaplab-trace: records a command's process tree (src/record) and writes
// DIR/events.txt and DIR/truth.json.
//
//   rmaplab-trace [-o DIR] [--timeout S] [--raw-trace FILE] [--json]
//                 [--recorded-syscalls-only] -- CMD [ARGS...]
//   rmaplab-trace --overhead N -- CMD [ARGS...]
//
// --overhead N runs CMD 2N times, untraced and traced in turn, each the same
// way (spawned, its tree waited for), and prints the medians of the program's
// wall time (spawn to the end of its tree) and of the recorder's whole run.
//
// Exit codes: 0 recorded; 2 bad usage or a command that cannot be run; 3 the
// kernel cannot be observed here (not root, no tracefs, lost events); 124 the
// timeout; 128+N interrupted by signal N; 1 anything else.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/record.h"

namespace {

using namespace rmaplab::record;

int exit_code(const RecordResult& r) {
  switch (r.failure) {
    case RecordFailure::none: return 0;
    case RecordFailure::no_command: return 2;
    case RecordFailure::not_observable:
    case RecordFailure::lost_events: return 3;
    case RecordFailure::timeout: return 124;
    case RecordFailure::interrupted: return 128 + r.signal;
    case RecordFailure::other: return 1;
  }
  return 1;
}

std::string describe_status(const Recording& rec) {
  if (rec.tasks.empty() || !rec.tasks.front().wait_status) return "unknown";
  int st = *rec.tasks.front().wait_status;
  if (WIFEXITED(st)) return fmt::format("exited {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return fmt::format("killed by signal {}", WTERMSIG(st));
  return "unknown";
}

nlohmann::json summary(const RecordResult& r) {
  const Recording& rec = *r.recording;
  Totals t = rec.totals();
  std::size_t syscalls = 0, faults = 0;
  for (const Operation& op : rec.ops) {
    syscalls += op.kind == OpKind::syscall;
    faults += op.kind == OpKind::fault;
  }
  return {{"command", rec.command},
          {"status", describe_status(rec)},
          {"tasks", rec.tasks.size()},
          {"ops", rec.ops.size()},
          {"syscalls", syscalls},
          {"faults", faults},
          {"files", rec.files.size()},
          {"trace_events", rec.trace_events},
          {"unexplained", rec.unexplained.size()},
          {"kernel",
           {{"anon_vma_alloc", t.anon_vma_alloc},
            {"anon_vma_free", t.anon_vma_free},
            {"avc_alloc", t.avc_alloc},
            {"avc_free", t.avc_free}}},
          {"seconds",
           {{"setup", r.setup_seconds}, {"program", r.program_seconds}, {"read", r.read_seconds}}}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int overhead(RecordOptions o, int n) {
  std::vector<double> bare, traced, traced_total;
  for (int i = 0; i < n; ++i) {
    for (bool trace : {false, true}) {
      o.trace = trace;
      auto start = std::chrono::steady_clock::now();
      RecordResult r = record_command(o);
      double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (r.failure != RecordFailure::none) {
        std::fprintf(stderr, "rmaplab-trace: %s\n", r.message.c_str());
        return exit_code(r);
      }
      (trace ? traced : bare).push_back(r.program_seconds);
      if (trace) traced_total.push_back(total);
    }
  }
  double b = median(bare), t = median(traced);
  fmt::print("program wall time, median of {}: untraced {:.4f} s, traced {:.4f} s, ratio {:.3f}\n", n,
             b, t, b > 0 ? t / b : 0);
  fmt::print("whole recorder run (setup, program, reading the trace, removing the instance), "
             "median: {:.4f} s\n",
             median(traced_total));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Records what a command's process tree does to its memory, and the kernel's "
               "anon_vma and AVC allocations and frees for each operation."};
  RecordOptions o;
  std::string dir;
  bool json = false;
  int overhead_runs = 0;
  app.add_option("-o,--output", dir, "write DIR/events.txt and DIR/truth.json");
  app.add_option("--timeout", o.timeout_seconds, "kill the tree after SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option("--raw-trace", o.raw_trace_path, "also write the tracefs trace text to FILE");
  app.add_option("--buffer-kb", o.buffer_kb_per_cpu, "trace buffer per CPU, in KiB (32768)")
      ->check(CLI::Range(64, 1 << 22));
  app.add_flag("--json", json, "print the summary as JSON");
  app.add_flag("--recorded-syscalls-only", o.recorded_syscalls_only,
               "trace only the system calls a recording keeps (cheaper; see doc/record.md)");
  app.add_option("--overhead", overhead_runs, "time N untraced and N traced runs, in turn")
      ->check(CLI::Range(1, 100));
  app.add_option("command", o.command, "the command and its arguments (after --)")->required();
  app.positionals_at_end();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (overhead_runs > 0) return overhead(o, overhead_runs);

  RecordResult r = record_command(o);
  if (r.failure != RecordFailure::none) {
    std::fprintf(stderr, "rmaplab-trace: %s\n", r.message.c_str());
    return exit_code(r);
  }
  if (!dir.empty())
    if (auto s = save_recording(*r.recording, dir); !s.ok()) {
      std::fprintf(stderr, "rmaplab-trace: %s\n", s.error().message.c_str());
      return 4;
    }
  nlohmann::json j = summary(r);
  if (json) {
    fmt::print("{}\n", j.dump());
    return 0;
  }
  const auto& k = j["kernel"];
  fmt::print("{}: {}; {} tasks, {} operations ({} system calls, {} faults), {} trace events\n",
             fmt::join(r.recording->command, " "), j["status"].get<std::string>(),
             j["tasks"].get<std::size_t>(), j["ops"].get<std::size_t>(),
             j["syscalls"].get<std::size_t>(), j["faults"].get<std::size_t>(),
             j["trace_events"].get<std::uint64_t>());
  fmt::print("kernel: anon_vma +{}/-{}, AVC +{}/-{}; unexplained {}\n",
             k["anon_vma_alloc"].get<std::uint64_t>(), k["anon_vma_free"].get<std::uint64_t>(),
             k["avc_alloc"].get<std::uint64_t>(), k["avc_free"].get<std::uint64_t>(),
             j["unexplained"].get<std::size_t>());
  fmt::print("seconds: setup {:.3f}, program {:.3f}, reading {:.3f}\n", r.setup_seconds,
             r.program_seconds, r.read_seconds);
  if (!dir.empty()) fmt::print("wrote {}/events.txt and {}/truth.json\n", dir, dir);
  return 0;
}
