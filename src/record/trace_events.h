// The recorder's trace events, decoded from one line of a tracefs `trace`
// file (kernel/trace_parser.h splits the line; this reads the event body).
//
// Events and the bodies 6.18 prints (see the formats under
// /sys/kernel/tracing/events/):
//   raw_syscalls:sys_enter        "NR 9 (0, 2000, 3, 22, ffffffffffffffff, 0)"
//   raw_syscalls:sys_exit         "NR 9 = 140737354076160"
//   exceptions:page_fault_user    "address=0x7f91... ip=0x7f91... error_code=0x6"
//   exceptions:page_fault_kernel  the same; ip is a kernel symbol
//   task:task_newtask             "pid=15 comm=sh clone_flags=1200000 oom_score_adj=0"
//   sched:sched_process_fork      "comm=sh pid=14 child_comm=sh child_pid=15"
//   sched:sched_process_exec      "filename=/bin/true pid=15 old_pid=15"
//   sched:sched_process_exit      "comm=true pid=15 prio=120 group_dead=true"
//   signal:signal_deliver         "sig=11 errno=0 code=1 sa_handler=0 sa_flags=0"
//   kmem:kmem_cache_alloc/free    see kernel/trace_parser.h
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "kernel/trace_parser.h"
#include "rmaplab/record.h"

namespace rmaplab::record {

struct SysEnter {
  long nr = 0;
  std::array<std::uint64_t, 6> args{};
};
struct SysExit {
  long nr = 0;
  std::int64_t ret = 0;
};
struct PageFault {
  bool user_mode = true;
  std::uint64_t address = 0;
  std::string ip;
  std::uint64_t error_code = 0;
};
struct NewTask {
  int child = 0;
  std::uint64_t clone_flags = 0;
};
struct ProcessFork {
  int parent = 0, child = 0;
};
struct ProcessExec {
  std::string filename;
  int pid = 0, old_pid = 0;
};
struct ProcessExit {
  int pid = 0;
  bool group_dead = false;
};
struct SignalDeliver {
  int sig = 0;
};
struct Kmem {
  KmemEvent event;
};
struct Lost {
  int cpu = 0;
  std::uint64_t count = 0;
};
struct Ignored {};  // an event of another kind, a comment, a kmem event of another object

using TraceEventBody = std::variant<Ignored, SysEnter, SysExit, PageFault, NewTask, ProcessFork,
                                    ProcessExec, ProcessExit, SignalDeliver, Kmem, Lost>;

struct TraceEvent {
  int pid = 0;
  int cpu = 0;
  std::uint64_t time_ns = 0;
  TraceEventBody body;
};

// One line; an error names the line.
Result<TraceEvent> decode_trace_line(std::string_view line);

}  // namespace rmaplab::record
