// record_command(): the command's process tree under a private tracefs
// instance.
//
//   1. instances/rmaplab-rec-<pid>: 32 MiB per CPU, trace_clock=mono, no
//      overwrite (a full buffer drops and counts), raw pointers, event-fork;
//      set_event_pid holds the recorder itself, so the command, spawned with
//      CLONE_VM|CLONE_VFORK (posix_spawn), is traced from its first
//      instruction and owns no copied mm whose teardown at execve would be
//      charged to it; every descendant joins the list through event-fork.
//      After the spawn the recorder puts itself in set_event_notrace_pid and
//      the builder skips the few events it made before.
//   2. The recorder is the tree's child subreaper and waits until no
//      descendant is left; a timeout or SIGINT/SIGTERM/SIGHUP/SIGQUIT kills
//      the whole tree (its process group, then every process whose parent
//      chain leads here).
//   3. Tracing off, the per-CPU stats checked for lost events, the `trace`
//      file (all CPUs merged in time order) read into a RecordingBuilder,
//      the instance removed.
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernel/kallsyms.h"  // the fallback filter
#include "kernel/sys.h"
#include "kernel/trace_parser.h"
#include "kernel/tracefs.h"
#include "record/syscalls.h"
#include "rmaplab/record.h"

extern char** environ;

namespace rmaplab::record {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kEvents[] = {
    "raw_syscalls/sys_enter",     "raw_syscalls/sys_exit",    "exceptions/page_fault_user",
    "exceptions/page_fault_kernel", "task/task_newtask",      "sched/sched_process_fork",
    "sched/sched_process_exec",   "sched/sched_process_exit", "signal/signal_deliver",
    "kmem/kmem_cache_alloc",      "kmem/kmem_cache_free",
};

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

RecordResult failure(RecordFailure f, std::string message, int sig = 0) {
  RecordResult r;
  r.failure = f;
  r.message = std::move(message);
  r.signal = sig;
  return r;
}

// command[0] as execvp would find it, or "".
std::string resolve(const std::string& name) {
  auto runnable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return runnable(name) ? name : "";
  const char* path = getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (runnable(candidate)) return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

// Every process whose parent chain reaches `root`.
std::vector<int> descendants(int root) {
  std::map<int, std::vector<int>> children;
  DIR* proc = opendir("/proc");
  if (!proc) return {};
  while (dirent* e = readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(stat, line)) continue;
    std::size_t close = line.rfind(')');
    if (close == std::string::npos || close + 4 >= line.size()) continue;
    int ppid = std::atoi(line.c_str() + close + 4);  // ") S PPID"
    children[ppid].push_back(pid);
  }
  closedir(proc);
  std::vector<int> out, todo = {root};
  while (!todo.empty()) {
    int p = todo.back();
    todo.pop_back();
    for (int c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

// Reaps what has exited; false once there is no child left.
bool reap(std::map<int, int>* statuses, bool block) {
  for (;;) {
    int st = 0;
    pid_t p = waitpid(-1, &st, block ? 0 : WNOHANG);
    if (p > 0) {
      (*statuses)[p] = st;
      if (block) return true;
      continue;
    }
    if (p < 0 && errno == EINTR) continue;
    return !(p < 0 && errno == ECHILD);
  }
}

void kill_tree(int pgid, std::map<int, int>* statuses) {
  kill(-pgid, SIGKILL);
  for (int round = 0; round < 500; ++round) {
    for (int p : descendants(getpid())) kill(p, SIGKILL);
    if (!reap(statuses, false)) return;
    usleep(2000);
  }
}

// Restores what record_command() changed in the calling process.
struct ProcessState {
  sigset_t old_mask;
  int old_subreaper = 0;
  bool active = false;
  void enter() {
    sigset_t block;
    sigemptyset(&block);
    for (int s : kStopSignals) sigaddset(&block, s);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old_mask);
    prctl(PR_GET_CHILD_SUBREAPER, &old_subreaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    active = true;
  }
  ~ProcessState() {
    if (!active) return;
    prctl(PR_SET_CHILD_SUBREAPER, old_subreaper);
    // A SIGCHLD left pending would be delivered (and ignored) on unblocking;
    // take it first so a handler the caller installed does not see it.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    timespec zero{};
    while (sigtimedwait(&chld, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  }
};

// The kmem filter by the call sites' names (call_site.function, which the
// kernel resolves itself), so /proc/kallsyms need not be read (50 ms here);
// empty where the kernel's filters do not know ".function".
std::string function_filter(bool name) {
  std::string f = name ? "name == \"anon_vma\"" : "";
  for (std::string_view site : kernel::kAvcCallSites)
    f += fmt::format("{}call_site.function == {}", f.empty() ? "" : " || ", site);
  return f;
}

Status set_kmem_filters(kernel::TraceInstance& t) {
  const bool name = kernel::alloc_event_has_name();
  if (t.set("events/kmem/kmem_cache_alloc/filter", function_filter(name)).ok() &&
      t.set("events/kmem/kmem_cache_free/filter", function_filter(true)).ok())
    return ok_status();
  // Older filters: address ranges from kallsyms.
  auto kallsyms = kernel::read_text_file("/proc/kallsyms");
  if (!kallsyms.ok()) return kallsyms.error();
  auto ranges = kernel::find_functions(*kallsyms, kernel::kAvcCallSites);
  if (!ranges.ok()) return ranges.error();
  if (Status s = t.set("events/kmem/kmem_cache_alloc/filter", kernel::event_filter(*ranges, name));
      !s.ok())
    return s;
  return t.set("events/kmem/kmem_cache_free/filter", kernel::event_filter(*ranges));
}

Status configure(kernel::TraceInstance& t, std::size_t buffer_kb, bool recorded_syscalls_only) {
  const std::pair<std::string, std::string> settings[] = {
      // The clock first: changing it empties (and so walks) the buffer.
      {"trace_clock", "mono"},
      {"buffer_size_kb", std::to_string(buffer_kb)},
      {"options/overwrite", "0"},
      {"options/hash-ptr", "0"},
      {"options/event-fork", "1"},
      // The kernel's own accesses to user memory only.
      {"events/exceptions/page_fault_kernel/filter", "address < 0x800000000000"},
      {"set_event_pid", std::to_string(getpid())},
  };
  for (const auto& [file, value] : settings)
    if (Status s = t.set(file, value); !s.ok()) return s;
  if (Status s = set_kmem_filters(t); !s.ok()) return s;
  if (recorded_syscalls_only)
    for (const char* ev : {"raw_syscalls/sys_enter", "raw_syscalls/sys_exit"})
      if (Status s = t.set(fmt::format("events/{}/filter", ev), recorded_syscalls_filter()); !s.ok())
        return s;
  for (const char* ev : kEvents)
    if (Status s = t.set(fmt::format("events/{}/enable", ev), "1"); !s.ok()) return s;
  return t.set("tracing_on", "1");
}

Status check_observable() {
  if (geteuid() != 0)
    return Error{"recording needs root: it reads the kernel's trace events (run it as root)"};
  if (Status s = kernel::ensure_tracefs(); !s.ok()) return s;
  if (Status s = kernel::check_kmem_events(); !s.ok()) return s;
  for (const char* ev : kEvents) {
    struct stat st;
    std::string path = fmt::format("{}/events/{}", kernel::kTracefsRoot, ev);
    if (stat(path.c_str(), &st) != 0)
      return Error{fmt::format("the kernel has no trace event {} ({})", ev, std::strerror(errno))};
  }
  return ok_status();
}

std::string kernel_release() {
  utsname u;
  return uname(&u) == 0 ? u.release : "";
}

}  // namespace

RecordResult record_command(const RecordOptions& o) {
  if (o.command.empty()) return failure(RecordFailure::no_command, "no command to record");
  const std::string path = resolve(o.command[0]);
  if (path.empty())
    return failure(RecordFailure::no_command,
                   fmt::format("{}: no such command (not found, or not executable)", o.command[0]));
  const auto t_setup = Clock::now();

  std::unique_ptr<kernel::TraceInstance> instance;
  if (o.trace) {
    if (Status s = check_observable(); !s.ok())
      return failure(RecordFailure::not_observable, s.error().message);
    kernel::remove_stale_instances();
    auto t = kernel::TraceInstance::create_named(
        fmt::format("{}{}", kernel::kRecordInstancePrefix, getpid()));
    if (!t.ok()) return failure(RecordFailure::not_observable, t.error().message);
    instance = std::move(*t);
    if (Status s = configure(*instance, o.buffer_kb_per_cpu, o.recorded_syscalls_only); !s.ok())
      return failure(RecordFailure::not_observable, s.error().message);
  }

  ProcessState process;
  process.enter();

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : kStopSignals) sigaddset(&defaults, s);
  sigaddset(&defaults, SIGCHLD);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &process.old_mask);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  for (const std::string& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = 0;
  const auto t_spawn = Clock::now();
  int err = posix_spawn(&child, path.c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (err != 0)
    return failure(RecordFailure::no_command,
                   fmt::format("cannot run {}: {}", o.command[0], std::strerror(err)));
  if (instance) (void)instance->set("set_event_notrace_pid", std::to_string(getpid()));

  // Wait for the whole tree.
  std::map<int, int> statuses;
  sigset_t wait_set;
  sigemptyset(&wait_set);
  for (int s : kStopSignals) sigaddset(&wait_set, s);
  sigaddset(&wait_set, SIGCHLD);
  const auto deadline =
      t_spawn + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                    o.timeout_seconds > 0 ? o.timeout_seconds : 1e9));
  RecordResult result;
  while (reap(&statuses, false)) {
    auto now = Clock::now();
    if (now >= deadline) {
      kill_tree(child, &statuses);
      return failure(RecordFailure::timeout,
                     fmt::format("{} did not finish within {} s; its process tree was killed and "
                                 "nothing was recorded",
                                 o.command[0], o.timeout_seconds));
    }
    auto left = std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(200));
    timespec ts{};
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    int sig = sigtimedwait(&wait_set, nullptr, &ts);
    if (sig > 0 && sig != SIGCHLD) {
      kill_tree(child, &statuses);
      return failure(RecordFailure::interrupted,
                     fmt::format("interrupted by {}: the recorded process tree was killed and "
                                 "nothing was recorded",
                                 sigabbrev_np(sig) ? std::string("SIG") + sigabbrev_np(sig)
                                                   : std::to_string(sig)),
                     sig);
    }
  }
  const auto t_done = Clock::now();
  result.program_seconds = std::chrono::duration<double>(t_done - t_spawn).count();
  result.setup_seconds = std::chrono::duration<double>(t_spawn - t_setup).count();

  Recording rec;
  if (instance) {
    (void)instance->set("tracing_on", "0");
    if (Status s = instance->check_no_loss(
            "the tree made more events than the buffer holds; a larger buffer helps");
        !s.ok())
      return failure(RecordFailure::lost_events, s.error().message);
    RecordingBuilder builder(child, getpid());
    const std::string trace_path = instance->path() + "/trace";
    kernel::Fd fd(open(trace_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failure(RecordFailure::other, fmt::format("cannot read {}", trace_path));
    std::ofstream raw;
    if (!o.raw_trace_path.empty()) raw.open(o.raw_trace_path, std::ios::binary | std::ios::trunc);
    std::string buf, carry;
    buf.resize(1 << 20);
    for (;;) {
      ssize_t n = read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return failure(RecordFailure::other,
                       fmt::format("cannot read {}: {}", trace_path, std::strerror(errno)));
      if (n == 0) break;
      if (raw.is_open()) raw.write(buf.data(), n);
      carry.append(buf.data(), std::size_t(n));
      std::size_t last = carry.rfind('\n');
      if (last == std::string::npos) continue;
      if (Status s = builder.add_text(std::string_view(carry).substr(0, last)); !s.ok())
        return failure(s.error().message.find("lost") != std::string::npos
                           ? RecordFailure::lost_events
                           : RecordFailure::other,
                       s.error().message);
      carry.erase(0, last + 1);
    }
    if (!carry.empty())
      if (Status s = builder.add_line(carry); !s.ok())
        return failure(RecordFailure::other, s.error().message);
    auto built = builder.finish();
    if (!built.ok()) return failure(RecordFailure::other, built.error().message);
    rec = std::move(*built);
    fd.reset();
    instance.reset();  // removes the instance
  } else {
    Task t;
    t.pid = t.tgid = child;
    t.origin = TaskOrigin::launched;
    rec.tasks.push_back(t);
  }
  result.read_seconds = std::chrono::duration<double>(Clock::now() - t_done).count();
  rec.command = o.command;
  rec.kernel = kernel_release();
  for (Task& t : rec.tasks)
    if (auto it = statuses.find(t.pid); it != statuses.end()) t.wait_status = it->second;
  result.recording = std::move(rec);
  return result;
}

}  // namespace rmaplab::record
