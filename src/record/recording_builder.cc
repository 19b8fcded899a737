// RecordingBuilder: the trace, event by event, into a Recording.
//
// Per task, the operation in flight is the innermost of
//   a fault        from its event to the task's next event,
//   a system call  from sys_enter to sys_exit,
//   the exit       from sched_process_exit to the end of the trace,
// and every anon_vma/AVC event is charged to the operation in flight on the
// task whose context it ran in. Fork-time allocations run in the parent's
// context, inside its clone: they land on the clone. Every system call is
// traced so that an event inside a call the recording does not keep (see
// syscalls.h) is charged to that call, which is then kept, and never to a
// fault before it.
#include <fcntl.h>

#include <map>
#include <memory>

#include <fmt/format.h>

#include "record/fd_table.h"
#include "record/syscalls.h"
#include "record/trace_events.h"
#include "rmaplab/record.h"

namespace rmaplab::record {
namespace {

constexpr std::uint64_t kCloneVm = 0x100, kCloneFiles = 0x400, kCloneVfork = 0x4000,
                        kCloneThread = 0x10000;
constexpr std::uint64_t kMapAnonymous = 0x20;
constexpr std::uint64_t kOCloexec = 02000000;
constexpr int kFDupfd = 0, kFSetfd = 2, kFDupfdCloexec = 1030;
constexpr std::int64_t kEintr = 4;

struct TaskState {
  std::optional<std::uint32_t> syscall, fault, exit;
  SharedFdTable fds = std::make_shared<FdTable>();
  bool exit_called = false;  // entered exit or exit_group
  std::uint64_t last_ns = 0;
};

}  // namespace

struct RecordingBuilder::State {
  int root_pid = 0, ignore_pid = 0;
  // The launched task runs on the recorder's mm (posix_spawn's CLONE_VM)
  // until its execve: what it does before is the recorder's, not the
  // program's.
  bool root_started = false;
  Recording rec;
  std::map<int, TaskState> tasks;
  std::map<int, std::size_t> task_index;

  TaskState& task(int pid) {
    auto it = tasks.find(pid);
    if (it != tasks.end()) return it->second;
    Task t;
    t.pid = t.tgid = pid;
    t.origin = pid == root_pid ? TaskOrigin::launched : TaskOrigin::unknown;
    task_index[pid] = rec.tasks.size();
    rec.tasks.push_back(t);
    return tasks[pid];
  }

  Operation& new_op(int pid, OpKind kind, std::uint64_t t) {
    Operation op;
    op.index = std::uint32_t(rec.ops.size());
    op.pid = pid;
    op.kind = kind;
    op.start_ns = op.end_ns = t;
    rec.ops.push_back(std::move(op));
    return rec.ops.back();
  }

  void close_fault(TaskState& ts, std::uint64_t t) {
    if (!ts.fault) return;
    rec.ops[*ts.fault].end_ns = t;
    ts.fault.reset();
  }

  std::optional<std::uint32_t> in_flight(const TaskState& ts) const {
    if (ts.fault) return ts.fault;
    if (ts.syscall) return ts.syscall;
    return ts.exit;
  }

  void on_enter(int pid, std::uint64_t t, const SysEnter& e) {
    TaskState& ts = task(pid);
    close_fault(ts, t);
    if (ts.syscall) ts.syscall.reset();  // its exit was not traced
    Operation& op = new_op(pid, OpKind::syscall, t);
    op.nr = int(e.nr);
    op.name = syscall_name(e.nr);
    op.args = e.args;
    op.recorded_call = is_recorded_syscall(op.name);
    if (op.name == "exit" || op.name == "exit_group") ts.exit_called = true;
    if (op.name == "mmap" && !(e.args[3] & kMapAnonymous)) {
      auto entry = ts.fds->get(int(e.args[4]));
      op.file = entry ? entry->file : kUnknownFile;
    }
    ts.syscall = op.index;
  }

  void open_file(Operation& op, TaskState& ts, std::uint64_t flags, bool cloexec) {
    OpenFile f;
    f.id = std::uint32_t(rec.files.size() + 1);
    f.pid = op.pid;
    f.op = op.index;
    f.fd = int(*op.ret);
    f.flags = flags;
    rec.files.push_back(f);
    ts.fds->set(f.fd, FdTable::Entry{f.id, cloexec});
  }

  // The descriptor table after a call returned.
  void apply(Operation& op, TaskState& ts) {
    const std::int64_t ret = *op.ret;
    const auto& a = op.args;
    const std::string& n = op.name;
    if (ret >= 0) {
      if (n == "open") open_file(op, ts, a[1], a[1] & kOCloexec);
      else if (n == "openat") open_file(op, ts, a[2], a[2] & kOCloexec);
      else if (n == "creat") open_file(op, ts, O_CREAT | O_WRONLY | O_TRUNC, false);
      else if (n == "openat2") open_file(op, ts, 0, false);
      else if (n == "memfd_create") open_file(op, ts, a[1], a[1] & 1);  // MFD_CLOEXEC
      else if (n == "dup") ts.fds->dup(int(a[0]), int(ret), false);
      else if (n == "dup2" && a[0] != a[1]) ts.fds->dup(int(a[0]), int(ret), false);
      else if (n == "dup3") ts.fds->dup(int(a[0]), int(ret), a[2] & kOCloexec);
      else if (n == "fcntl" && int(a[1]) == kFDupfd) ts.fds->dup(int(a[0]), int(ret), false);
      else if (n == "fcntl" && int(a[1]) == kFDupfdCloexec) ts.fds->dup(int(a[0]), int(ret), true);
      else if (n == "fcntl" && int(a[1]) == kFSetfd) ts.fds->set_cloexec(int(a[0]), a[2] & 1);
      else if (n == "close_range") {
        if (a[2] & 2) ts.fds = std::make_shared<FdTable>(*ts.fds);  // CLOSE_RANGE_UNSHARE
        ts.fds->close_range(unsigned(a[0]), unsigned(a[1]), a[2] & 4);  // CLOSE_RANGE_CLOEXEC
      }
    }
    // close() releases the descriptor even when it reports EINTR.
    if (n == "close" && (ret == 0 || ret == -kEintr)) ts.fds->close(int(a[0]));
  }

  void on_exit(int pid, std::uint64_t t, const SysExit& e) {
    TaskState& ts = task(pid);
    close_fault(ts, t);
    if (!ts.syscall) return;  // a new task's first return (from clone), or untraced enter
    Operation& op = rec.ops[*ts.syscall];
    ts.syscall.reset();
    if (op.nr != e.nr) return;
    op.ret = e.ret;
    op.end_ns = t;
    apply(op, ts);
  }

  void on_fault(int pid, std::uint64_t t, const PageFault& f) {
    TaskState& ts = task(pid);
    close_fault(ts, t);
    Operation& op = new_op(pid, OpKind::fault, t);
    op.address = f.address;
    op.error_code = f.error_code;
    op.user_mode = f.user_mode;
    op.ip = f.ip;
    op.within = ts.syscall;
    ts.fault = op.index;
  }

  void on_newtask(int pid, const NewTask& n) {
    TaskState& parent = task(pid);
    const int parent_tgid = rec.tasks[task_index[pid]].tgid;
    TaskState& child = task(n.child);
    Task& t = rec.tasks[task_index[n.child]];
    t.parent = pid;
    t.clone_flags = n.clone_flags;
    t.origin = n.clone_flags & kCloneThread  ? TaskOrigin::thread
               : n.clone_flags & kCloneVfork ? TaskOrigin::vfork
               : n.clone_flags & kCloneVm    ? TaskOrigin::vm_clone
                                             : TaskOrigin::fork;
    t.tgid = n.clone_flags & kCloneThread ? parent_tgid : n.child;
    child.fds = n.clone_flags & kCloneFiles ? parent.fds : std::make_shared<FdTable>(*parent.fds);
    if (parent.syscall) rec.ops[*parent.syscall].children.push_back(n.child);
  }

  void on_fork(const ProcessFork& f) {
    if (task_index.contains(f.child)) return;  // task_newtask came first
    TaskState& parent = task(f.parent);
    TaskState& child = task(f.child);
    Task& t = rec.tasks[task_index[f.child]];
    t.parent = f.parent;
    t.origin = TaskOrigin::unknown;
    child.fds = std::make_shared<FdTable>(*parent.fds);
    if (parent.syscall) rec.ops[*parent.syscall].children.push_back(f.child);
  }

  void on_exec(int pid, const ProcessExec& x) {
    if (x.old_pid != pid && tasks.contains(x.old_pid)) {
      // A thread other than the leader exec'd: it takes over the leader's pid.
      tasks[pid] = tasks[x.old_pid];
      tasks.erase(x.old_pid);
    }
    TaskState& ts = task(pid);
    if (ts.syscall) rec.ops[*ts.syscall].exec_filename = x.filename;
    if (ts.fds.use_count() > 1) ts.fds = std::make_shared<FdTable>(*ts.fds);
    ts.fds->exec();
  }

  void on_process_exit(int pid, std::uint64_t t, const ProcessExit& x) {
    TaskState& ts = task(pid);
    close_fault(ts, t);
    if (ts.syscall) {
      rec.ops[*ts.syscall].end_ns = t;
      ts.syscall.reset();
    }
    Operation& op = new_op(pid, OpKind::exit, t);
    op.group_dead = x.group_dead;
    op.killed = !ts.exit_called;
    ts.exit = op.index;
  }

  void on_signal(int pid, std::uint64_t t, const SignalDeliver& s) {
    TaskState& ts = task(pid);
    close_fault(ts, t);
    new_op(pid, OpKind::signal, t).signal = s.sig;
  }

  void on_kmem(int pid, const KmemEvent& e) {
    TaskState& ts = task(pid);
    if (auto op = in_flight(ts))
      rec.ops[*op].kmem.push_back(e);
    else
      rec.unexplained.push_back(e);
  }
};

RecordingBuilder::RecordingBuilder(int root_pid, int ignore_pid) : s_(std::make_unique<State>()) {
  s_->root_pid = root_pid;
  s_->ignore_pid = ignore_pid;
  if (root_pid > 0) s_->task(root_pid);
}

RecordingBuilder::~RecordingBuilder() = default;

Status RecordingBuilder::add_line(std::string_view line) {
  auto ev = decode_trace_line(line);
  if (!ev.ok()) return ev.error();
  if (auto* lost = std::get_if<Lost>(&ev->body))
    return Error{fmt::format(
        "the trace lost {} events on CPU {}; a recording with lost events would be wrong",
        lost->count, lost->cpu)};
  if (std::holds_alternative<Ignored>(ev->body)) return ok_status();
  const int pid = ev->pid;
  if (pid == s_->ignore_pid && s_->ignore_pid != 0) return ok_status();
  if (pid == s_->root_pid && !s_->root_started) {
    const auto* enter = std::get_if<SysEnter>(&ev->body);
    if (!enter) return ok_status();
    const std::string name = syscall_name(enter->nr);
    if (name != "execve" && name != "execveat") return ok_status();
    s_->root_started = true;
  }
  ++s_->rec.trace_events;
  const std::uint64_t t = ev->time_ns;
  s_->task(pid).last_ns = t;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SysEnter>) s_->on_enter(pid, t, b);
        else if constexpr (std::is_same_v<T, SysExit>) s_->on_exit(pid, t, b);
        else if constexpr (std::is_same_v<T, PageFault>) s_->on_fault(pid, t, b);
        else if constexpr (std::is_same_v<T, NewTask>) s_->on_newtask(pid, b);
        else if constexpr (std::is_same_v<T, ProcessFork>) s_->on_fork(b);
        else if constexpr (std::is_same_v<T, ProcessExec>) s_->on_exec(pid, b);
        else if constexpr (std::is_same_v<T, ProcessExit>) s_->on_process_exit(pid, t, b);
        else if constexpr (std::is_same_v<T, SignalDeliver>) s_->on_signal(pid, t, b);
        else if constexpr (std::is_same_v<T, Kmem>) s_->on_kmem(pid, b.event);
      },
      ev->body);
  return ok_status();
}

Status RecordingBuilder::add_text(std::string_view text) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (Status s = add_line(line); !s.ok()) return s;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return ok_status();
}

Result<Recording> RecordingBuilder::finish() {
  Recording& rec = s_->rec;
  // Ops still in flight end at their task's last event.
  for (auto& [pid, ts] : s_->tasks)
    for (auto op : {ts.fault, ts.syscall, ts.exit})
      if (op && rec.ops[*op].end_ns < ts.last_ns) rec.ops[*op].end_ns = ts.last_ns;
  // Drop the calls kept only in case the kernel did anon_vma work in them.
  std::vector<std::optional<std::uint32_t>> renumber(rec.ops.size());
  std::vector<Operation> kept;
  kept.reserve(rec.ops.size());
  for (Operation& op : rec.ops) {
    if (op.kind == OpKind::syscall && !op.recorded_call && op.kmem.empty()) continue;
    renumber[op.index] = std::uint32_t(kept.size());
    op.index = std::uint32_t(kept.size());
    kept.push_back(std::move(op));
  }
  for (Operation& op : kept)
    if (op.within) op.within = renumber[*op.within];
  for (OpenFile& f : rec.files) f.op = renumber[f.op].value_or(0);
  rec.ops = std::move(kept);
  return std::move(rec);
}

Result<Recording> build_recording(std::string_view trace_text, int root_pid, int ignore_pid) {
  RecordingBuilder b(root_pid, ignore_pid);
  if (Status s = b.add_text(trace_text); !s.ok()) return s.error();
  return b.finish();
}

}  // namespace rmaplab::record
