// Turning a text trace into per-operation events: pure, no I/O.
//
// The runner writes "rmaplab op LINE begin" and "rmaplab op LINE end" into the
// trace around each operation, in script order. An anon_vma or AVC event
// (classify()) belongs to the operation whose markers enclose it, if the
// process that caused it was one of the script's processes at that time
// (pids are recycled, so a pid counts only from the operation that created
// its process to the one that ended it). Everything else is ignored, except:
// events of a script process outside every operation, markers out of order,
// lost events, malformed lines, and markers or script events on a CPU other
// than the one everything was pinned to (per-CPU buffers are merged by
// timestamps of per-CPU clocks, so only one CPU gives a true order), which
// are errors, because they would make the counts wrong.
//
// Identity: objects get ids per kind, 1, 2, ... in order of allocation; a
// freed pointer that is allocated again gets a new id. A free of an object
// the run did not allocate is an error: the helpers own no anon_vma, so it
// would mean the counts cannot be trusted.
#pragma once

#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernel/kallsyms.h"
#include "rmaplab/kernel.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

std::string begin_marker(int line);  // "rmaplab op LINE begin"
std::string end_marker(int line);    // "rmaplab op LINE end"

class Attributor {
 public:
  // op_lines: the script line of each operation, in order. avc_ranges
  // resolves call sites the trace printed as bare addresses. cpu: the CPU
  // the runner and the script's processes run on.
  Attributor(std::vector<int> op_lines, std::vector<FunctionRange> avc_ranges, int cpu);

  // pid serves a script process from operation first_op (an index into
  // op_lines) on. Must be called before the lines of that operation are fed.
  void add_process(int pid, std::size_t first_op);
  // pid stopped serving after operation last_op.
  void end_process(int pid, std::size_t last_op);

  // One line of the trace, in order.
  Status feed(std::string_view line);
  // Every line of a text, in order.
  Status feed_text(std::string_view text);

  // Whether the end marker of operation `op` has been fed: its events are
  // then complete.
  bool closed(std::size_t op) const {
    return next_op_ > op + 1 || (next_op_ == op + 1 && !inside_);
  }
  // Hands over the events of the oldest operation not yet taken (`op`, which
  // must be closed) and forgets them, so a long run keeps only the open
  // operation's events; also forgets processes that ended before it.
  std::vector<Event> take(std::size_t op);

  // After the last operation's end marker: the events of each operation not
  // taken, in order (all of them if take() was never called).
  Result<std::vector<std::vector<Event>>> finish();

  std::size_t live(ObjectKind kind) const;

 private:
  struct Lifetime {
    std::size_t first_op;
    std::size_t last_op;
  };
  bool is_script_process(int pid, std::size_t op) const;
  Error error(std::string what) const;

  std::vector<int> op_lines_;
  std::vector<FunctionRange> avc_ranges_;
  int cpu_;
  std::unordered_multimap<int, Lifetime> processes_;
  std::deque<std::vector<Event>> events_;  // operations taken_, taken_ + 1, ...
  std::size_t taken_ = 0;
  std::vector<std::pair<int, std::size_t>> ended_;  // (pid, last_op), to forget
  std::size_t next_op_ = 0;                         // index of the next begin marker expected
  bool inside_ = false;                             // between begin and end of op next_op_ - 1
  std::size_t trace_line_ = 0;
  // Per kind: live pointer -> id, next id, live count.
  std::unordered_map<std::uint64_t, std::uint32_t> live_ids_[2];
  std::uint32_t next_id_[2] = {1, 1};
  bool failed_ = false;
};

}  // namespace rmaplab::kernel
