// A private tracefs instance (instances/rmaplab-<pid>) recording the
// kmem_cache_alloc/kmem_cache_free events of anon_vma and AVC objects.
//
// Global tracing state is never touched: everything (buffer size, options,
// filters, pid list, markers) lives in the instance, which is removed when the
// object is destroyed. Instances left behind by a runner that was killed are
// removed by remove_stale_instances().
//
// Not thread-safe; one owner.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kernel/kallsyms.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

inline constexpr std::string_view kTracefsRoot = "/sys/kernel/tracing";
inline constexpr std::string_view kInstancePrefix = "rmaplab-";
// The recorder's instances (src/record): instances/rmaplab-rec-<pid>.
inline constexpr std::string_view kRecordInstancePrefix = "rmaplab-rec-";

// tracefs is mounted at kTracefsRoot, mounting it if needed.
Status ensure_tracefs();

// Whether tracefs has the kmem events with the fields the filter needs.
Status check_kmem_events();

// Removes instances/rmaplab-<pid> and instances/rmaplab-rec-<pid> of
// processes that no longer exist.
void remove_stale_instances();

// The event filter: anon_vma objects by cache name, AVCs by call site.
// Without `name` (kmem_cache_alloc before the field): the call sites only,
// which allocate anon_vma objects too (classify() tells them apart).
std::string event_filter(std::span<const FunctionRange> avc_ranges, bool name = true);

// Whether kmem_cache_alloc has a `name` field (6.18 and 7.3 have; 6.1 and
// 6.12 do not).
bool alloc_event_has_name();

class TraceInstance {
 public:
  // Creates and configures instances/rmaplab-<getpid()> with events off:
  // per-CPU buffer of buffer_kb on `cpu` (a minimal one elsewhere), no
  // overwrite (a full buffer drops and counts), raw pointers (hash-ptr off),
  // event-fork on, and the filter on both events.
  static Result<std::unique_ptr<TraceInstance>> create(std::span<const FunctionRange> avc_ranges,
                                                       int cpu, std::size_t buffer_kb);
  // Creates instances/<name> with tracing off and no event enabled, for a
  // caller that configures it itself with set() (the recorder).
  static Result<std::unique_ptr<TraceInstance>> create_named(const std::string& name);
  ~TraceInstance();  // closes its files and removes the instance
  TraceInstance(const TraceInstance&) = delete;
  TraceInstance& operator=(const TraceInstance&) = delete;

  // Only these processes (and, through event-fork, their children) are
  // traced. Must be set before enable().
  Status trace_pids(std::span<const int> pids);
  Status enable();
  Status disable();

  // Writes one trace_marker line.
  Status mark(std::string_view text);

  // Appends every complete line now readable from trace_pipe to `out`,
  // without blocking.
  Status drain(std::string* out);

  // Fails if any CPU's buffer overran or dropped events; `hint` ends the
  // message (what would help).
  Status check_no_loss(std::string_view hint = "a larger Options::trace_buffer_kb helps") const;

  // Writes one control file of the instance ("trace_clock", "events/...").
  Status set(std::string_view rel, std::string_view value) const { return write_file(rel, value); }

  const std::string& path() const { return dir_; }

 private:
  explicit TraceInstance(std::string dir) : dir_(std::move(dir)) {}
  Status write_file(std::string_view rel, std::string_view value) const;

  std::string dir_;
  int marker_fd_ = -1;
  int pipe_fd_ = -1;
  std::string partial_;  // an incomplete last line from trace_pipe
};

}  // namespace rmaplab::kernel
