// Recordings of real programs: what a command's process tree did to its
// memory, task by task, and what the kernel allocated and freed for it.
//
// A Recording is made by the recorder (record_command(): a private tracefs
// instance following the command's process tree, src/record/recorder.cc) or
// read back from a directory (load_recording()). It holds
//   * the tasks: pid, tgid, the task that created it and how (fork, vfork,
//     thread, a CLONE_VM process), from task:task_newtask's clone_flags;
//   * the operations in the order they started: each recorded system call
//     with its six raw arguments and its return value, each user-address
//     page fault (user mode, or the kernel touching user memory), each
//     signal delivery, each task's exit; an mmap of a file names the open
//     file it maps (Recording::files, reconstructed from the descriptor
//     calls: VMA merging compares open files, not paths);
//   * the kernel's truth: every kmem_cache_alloc/free of an anon_vma or an
//     anon_vma_chain, charged to the operation in flight on the task whose
//     context it ran in (a syscall between its enter and exit, a fault until
//     the task's next event, an exit until the task is gone), or, with no
//     operation in flight, kept as unexplained.
// The on-disk form is DIR/events.txt (the operations, one a line) and
// DIR/truth.json (the kernel's events per operation); doc/record.md defines
// both.
//
// Plain values; no shared state. record_command() is not thread-safe: it
// blocks signals, reaps children and is a child subreaper while it runs (all
// restored before it returns).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab::record {

enum class KernelObject { anon_vma, anon_vma_chain };

// One kmem_cache_alloc or kmem_cache_free of an anon_vma or an AVC.
struct KmemEvent {
  bool alloc = true;
  KernelObject object = KernelObject::anon_vma;
  std::string call_site;  // the function, e.g. "anon_vma_fork"
  std::uint64_t ptr = 0;  // the object's kernel address
  std::uint64_t time_ns = 0;
  int pid = 0;  // the task in whose context it ran
  bool operator==(const KmemEvent&) const = default;
};

struct Totals {
  std::uint64_t anon_vma_alloc = 0, anon_vma_free = 0, avc_alloc = 0, avc_free = 0;
  void add(const KmemEvent& e);
  bool operator==(const Totals&) const = default;
};

enum class TaskOrigin {
  launched,  // the command itself
  fork,      // a new process with a copy of the parent's mm
  vfork,     // CLONE_VFORK|CLONE_VM: runs on the parent's mm until it execs
  thread,    // CLONE_THREAD: shares the mm and the thread group
  vm_clone,  // CLONE_VM without CLONE_THREAD or CLONE_VFORK
  unknown,   // seen in the trace without its creation
};

struct Task {
  int pid = 0;
  int tgid = 0;
  int parent = 0;  // the task that created it; 0 for the launched one
  TaskOrigin origin = TaskOrigin::unknown;
  std::uint64_t clone_flags = 0;
  // The wait status (waitpid) where the recorder reaped the task (the
  // launched one, and orphans it reaped as subreaper).
  std::optional<int> wait_status;
  bool operator==(const Task&) const = default;
};

enum class OpKind { syscall, fault, signal, exit };

// A file opened during the recording: one open file description (what
// vma->vm_file points to), carried through dup, fork and exec.
struct OpenFile {
  std::uint32_t id = 0;  // 1, 2, ... in order of opening
  int pid = 0;           // the task that opened it
  std::uint32_t op = 0;  // the open call's operation
  int fd = 0;            // the descriptor it was first given
  std::uint64_t flags = 0;
  // The path, where the trace has it: 6.18's syscall events carry only the
  // pointer, so this is empty for open calls and holds exec file names.
  std::string path;
  bool operator==(const OpenFile&) const = default;
};

// The file an mmap maps, for a call without MAP_ANONYMOUS.
inline constexpr std::uint32_t kUnknownFile = 0;  // a descriptor not opened in the recording

struct Operation {
  std::uint32_t index = 0;  // its place in Recording::ops
  int pid = 0;
  OpKind kind = OpKind::syscall;
  std::uint64_t start_ns = 0, end_ns = 0;

  // syscall
  int nr = -1;
  std::string name;
  std::array<std::uint64_t, 6> args{};
  std::optional<std::int64_t> ret;  // none: it never returned (exit_group, killed)
  bool recorded_call = true;        // false: another call, kept for its kmem events
  std::optional<std::uint32_t> file;  // mmap of a file: OpenFile::id or kUnknownFile
  std::string exec_filename;          // execve/execveat that exec'd (sched_process_exec)
  std::vector<int> children;          // tasks a clone/fork/vfork created

  // fault
  std::uint64_t address = 0;
  std::uint64_t error_code = 0;  // bit 1: a write
  bool user_mode = true;         // page_fault_user; false: the kernel touched user memory
  std::string ip;                // as the trace printed it (hex, or a kernel symbol)
  std::optional<std::uint32_t> within;  // the syscall operation it happened in

  // signal
  int signal = 0;

  // exit
  bool group_dead = false;  // the last task of its thread group
  bool killed = false;      // no exit or exit_group call before it

  std::vector<KmemEvent> kmem;  // the kernel's truth for this operation

  bool is_write_fault() const { return (error_code & 2) != 0; }
  bool operator==(const Operation&) const = default;
};

struct Recording {
  std::vector<std::string> command;
  std::string kernel;  // uname -r
  std::vector<Task> tasks;  // in order of creation
  std::vector<Operation> ops;  // in order of start
  std::vector<OpenFile> files;
  std::vector<KmemEvent> unexplained;  // kmem events with no operation in flight
  std::uint64_t trace_events = 0;      // event lines read from the trace

  const Task* task(int pid) const;
  Totals totals() const;  // over every operation and the unexplained events
  bool operator==(const Recording&) const = default;
};

// Reads the text of a tracefs instance's `trace` file (the events the
// recorder enables) into a Recording. `root_pid` is the launched task: its
// events before its first execve (it runs on the recorder's mm until then)
// are skipped, as are the events of `ignore_pid` (the recorder itself,
// traced until it excludes itself). Fails on lost events or a line it
// cannot read.
class RecordingBuilder {
 public:
  RecordingBuilder(int root_pid, int ignore_pid);
  ~RecordingBuilder();
  RecordingBuilder(const RecordingBuilder&) = delete;
  RecordingBuilder& operator=(const RecordingBuilder&) = delete;
  Status add_line(std::string_view line);
  Status add_text(std::string_view text);  // whole lines
  Result<Recording> finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};
Result<Recording> build_recording(std::string_view trace_text, int root_pid, int ignore_pid = 0);

// DIR/events.txt and DIR/truth.json; DIR is created if missing.
Status save_recording(const Recording& recording, const std::string& dir);
Result<Recording> load_recording(const std::string& dir);

struct RecordOptions {
  std::vector<std::string> command;  // argv; command[0] is searched in PATH
  double timeout_seconds = 0;        // 0: none
  std::size_t buffer_kb_per_cpu = 32768;
  std::string raw_trace_path;  // if set, the instance's trace text is written there
  bool trace = true;           // false: run the command the same way, untraced (overhead baseline)
  // Trace only the system calls a recording always keeps (a filter on
  // raw_syscalls): cheaper, but a fault then stays in flight across the
  // untraced calls after it, so an anon_vma/AVC event in one of them is
  // charged to that fault (doc/record.md).
  bool recorded_syscalls_only = false;
};

// Why record_command() failed, for the exit code.
enum class RecordFailure {
  none,
  not_observable,  // not root, no tracefs, missing events
  no_command,      // the command cannot be run
  timeout,
  interrupted,  // SIGINT, SIGTERM, SIGHUP or SIGQUIT: the signal is `signal`
  lost_events,
  other,
};

struct RecordResult {
  std::optional<Recording> recording;
  RecordFailure failure = RecordFailure::none;
  int signal = 0;  // for interrupted
  std::string message;  // one sentence, for a failure
  double program_seconds = 0;  // from spawning the command to the end of its tree
  double setup_seconds = 0, read_seconds = 0;
};

// Runs options.command under the recorder and returns its Recording. The
// command's tree ends when every process in it has exited (the recorder is
// its subreaper); on a timeout or a signal the tree is killed. No process and
// no tracefs instance is left behind in any case.
RecordResult record_command(const RecordOptions& options);

std::string_view to_string(TaskOrigin origin);
std::string_view to_string(OpKind kind);
std::string_view to_string(KernelObject object);

}  // namespace rmaplab::record
