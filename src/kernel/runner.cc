// The live-kernel runner: run() and probe() of rmaplab/kernel.h.
//
// One run, step by step:
//
//   probe                 root, tracefs, kmem events, call sites in kallsyms
//   ProcessSettings       pin to one CPU, child subreaper, fd limit, signals
//   TraceInstance         instances/rmaplab-<pid>, filter set, events off
//   HelperProcesses       helpers of every `spawn`ed slot, started and ready
//   enable                set_event_pid = helpers (+ event-fork), events on
//   per operation:        marker "rmaplab op LINE begin"
//                         command the helper, wait for its reply (for exit:
//                           for its pidfd)
//                         marker "rmaplab op LINE end"
//                         drain trace_pipe into the Attributor
//                         snapshot /proc (optional)
//   disable, drain, check the buffers lost nothing, finish attribution
//   ~HelperProcesses      kill and reap every helper left
//   ~TraceInstance        rmdir the instance
//   ~ProcessSettings      restore; a caught SIGINT/SIGTERM is re-raised
//
// Exactness rests on: one CPU for the runner and every helper (one ring
// buffer, so markers and events are in true order), helpers that own no
// anon_vma (helper.cc), attribution by pid lifetime (attribution.h), and loss
// detection (tracefs.h).
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "kernel/attribution.h"
#include "kernel/helper_image.h"
#include "kernel/helper_processes.h"
#include "kernel/kallsyms.h"
#include "kernel/limits.h"
#include "kernel/procfs.h"
#include "kernel/root_lock_counter.h"
#include "kernel/sys.h"
#include "kernel/trace_parser.h"
#include "kernel/tracefs.h"
#include "rmaplab/kernel.h"

namespace rmaplab::kernel {
namespace {

std::mutex g_run_mutex;              // run() calls are serialised
volatile sig_atomic_t g_signal = 0;  // SIGINT/SIGTERM/SIGHUP/SIGQUIT caught during run()

extern "C" void on_stop_signal(int sig) { g_signal = sig; }

// The process-wide settings run() needs, restored on destruction.
class ProcessSettings {
 public:
  explicit ProcessSettings(const Script& script) {
    // One CPU: the lowest the calling thread may use.
    have_affinity_ = sched_getaffinity(0, sizeof old_affinity_, &old_affinity_) == 0;
    cpu_ = 0;
    if (have_affinity_) {
      while (cpu_ < CPU_SETSIZE && !CPU_ISSET(cpu_, &old_affinity_)) ++cpu_;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu_, &one);
      pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    // Orphaned helpers (their parent helper exited) come back to the runner.
    prctl(PR_GET_CHILD_SUBREAPER, &old_subreaper_);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    // Descriptors follow the live processes (helper_processes.h); a script
    // with more alive at once than any limit root may set is refused here,
    // before anything starts.
    if (getrlimit(RLIMIT_NOFILE, &old_nofile_) == 0) {
      const std::size_t live = max_live_processes(script);
      const rlim_t need = rlim_t(descriptors_needed(live));
      if (need > old_nofile_.rlim_cur) {
        rlimit raised = old_nofile_;
        raised.rlim_cur = need;
        raised.rlim_max = std::max(old_nofile_.rlim_max, need);
        have_nofile_ = setrlimit(RLIMIT_NOFILE, &raised) == 0;
        if (!have_nofile_)
          status_ = Error{fmt::format(
              "the script has {} processes alive at once, which needs {} file descriptors, more "
              "than RLIMIT_NOFILE allows (soft limit {}, hard limit {}{})",
              live, need, old_nofile_.rlim_cur, old_nofile_.rlim_max,
              need > old_nofile_.rlim_max ? "; raising it needs CAP_SYS_RESOURCE and fs.nr_open"
                                          : "")};
      }
    }
    // Stop signals end the run cleanly, then are re-raised (run()). One the
    // process ignores stays ignored.
    struct sigaction act = {};
    act.sa_handler = on_stop_signal;
    sigemptyset(&act.sa_mask);
    act.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
    for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
      sigaction(kStopSignals[i], nullptr, &old_actions_[i]);
      if (old_actions_[i].sa_handler != SIG_IGN) sigaction(kStopSignals[i], &act, nullptr);
    }
  }
  ~ProcessSettings() {
    for (std::size_t i = 0; i < kStopSignals.size(); ++i)
      sigaction(kStopSignals[i], &old_actions_[i], nullptr);
    if (have_nofile_) setrlimit(RLIMIT_NOFILE, &old_nofile_);
    prctl(PR_SET_CHILD_SUBREAPER, old_subreaper_);
    if (have_affinity_) sched_setaffinity(0, sizeof old_affinity_, &old_affinity_);
  }
  ProcessSettings(const ProcessSettings&) = delete;
  ProcessSettings& operator=(const ProcessSettings&) = delete;

  bool pinned() const { return pinned_; }
  const Status& status() const { return status_; }
  int cpu() const { return cpu_; }

 private:
  cpu_set_t old_affinity_;
  bool have_affinity_ = false, pinned_ = false;
  int cpu_ = 0;
  int old_subreaper_ = 0;
  rlimit old_nofile_ = {};
  bool have_nofile_ = false;
  Status status_ = ok_status();
  static constexpr std::array<int, 4> kStopSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  std::array<struct sigaction, 4> old_actions_ = {};
};

int prot_bits(Prot p) {
  switch (p) {
    case Prot::none:
      return PROT_NONE;
    case Prot::r:
      return PROT_READ;
    case Prot::rx:
      return PROT_READ | PROT_EXEC;
    case Prot::rw:
      return PROT_READ | PROT_WRITE;
    case Prot::rwx:
      return PROT_READ | PROT_WRITE | PROT_EXEC;
  }
  return PROT_NONE;
}

int advice_bits(Advice a) {
  switch (a) {
    case Advice::dontneed:
      return MADV_DONTNEED;
    case Advice::dontfork:
      return MADV_DONTFORK;
    case Advice::dofork:
      return MADV_DOFORK;
    case Advice::wipeonfork:
      return MADV_WIPEONFORK;
    case Advice::keeponfork:
      return MADV_KEEPONFORK;
  }
  return MADV_NORMAL;
}

std::uint64_t page_addr(std::uint64_t page) { return kArenaBase + page * kPageSize; }

// The helper command for an arena operation.
wire::Command command_for(const Op& op) {
  wire::Command c{};
  c.addr = page_addr(op.a);
  c.len = std::uint64_t(op.n) * kPageSize;
  switch (op.verb) {
    case Verb::mmap:
      c.verb = wire::Verb::mmap;
      c.prot = prot_bits(op.prot);
      c.flags = MAP_FIXED | MAP_ANONYMOUS | (op.shared ? MAP_SHARED : MAP_PRIVATE);
      break;
    case Verb::munmap:
      c.verb = wire::Verb::munmap;
      break;
    case Verb::mprotect:
      c.verb = wire::Verb::mprotect;
      c.prot = prot_bits(op.prot);
      break;
    case Verb::mremap:
      c.verb = wire::Verb::mremap;
      c.new_addr = page_addr(op.b);
      c.new_len = std::uint64_t(op.m) * kPageSize;
      c.flags = op.b == op.a ? 0 : MREMAP_MAYMOVE | MREMAP_FIXED;
      break;
    case Verb::madvise:
      c.verb = wire::Verb::madvise;
      c.advice = advice_bits(op.advice);
      break;
    case Verb::write:
      c.verb = wire::Verb::write;
      break;
    case Verb::read:
      c.verb = wire::Verb::read;
      break;
    case Verb::spawn:
    case Verb::fork:
    case Verb::exit:
      break;  // not commands of this kind
  }
  return c;
}

std::string kernel_release() {
  utsname u;
  return uname(&u) == 0 ? u.release : "unknown";
}

// Core-kernel text does not move while the system runs: look once.
Result<std::vector<FunctionRange>> avc_call_sites() {
  static std::mutex mutex;
  static std::optional<std::vector<FunctionRange>> cached;
  std::lock_guard<std::mutex> lock(mutex);
  if (cached) return *cached;
  auto kallsyms = read_text_file("/proc/kallsyms");
  if (!kallsyms.ok()) return kallsyms.error();
  auto ranges = find_functions(*kallsyms, kAvcCallSites);
  if (ranges.ok()) cached = *ranges;
  return ranges;
}

// The state of one run; its members' destructors end the helpers, then
// remove the trace instance.
class Runner {
 public:
  Runner(const Script& script, const Options& options, const OpSink& sink, int cpu)
      : script_(script), options_(options), sink_(sink), cpu_(cpu) {}

  Result<Run> run();

 private:
  // "FILE:LINE: OPERATION: what".
  Error at(const Op& op, const std::string& what) const {
    return Error{fmt::format("{}:{}: {}: {}", script_.file, op.line, format_op(script_, op), what)};
  }
  Result<std::string> execute(std::size_t index, const Op& op);
  Status drain(Run* run);
  Status drain_through(std::size_t index, Run* run);
  bool full_snapshot_after(std::size_t index);
  Status snapshot(const Op& op, bool full, OpResult* out);
  Status snapshot_layouts(const Op& op, bool full, OpResult* out);
  bool lock_count_valid(const Op& op, int pid, const OpResult& r) const;
  Status capture(int slot, OpResult* out);

  const Script& script_;
  const Options& options_;
  const OpSink& sink_;
  const int cpu_;
  std::optional<Attributor> attributor_;
  std::unique_ptr<Snapshotter> snapshotter_;
  std::vector<bool> created_;  // per slot: the script has created it
  std::size_t next_full_ = 0;  // into options_.full_snapshots
  std::string chunk_;
  bool objects_ = false;  // Options::objects, and the reader can run
  // Root lock counts (with Options::objects): the roots each helper's chains
  // named at its last dump, and the ones watched during the operation.
  std::unique_ptr<RootLockCounter> locks_;
  std::unordered_map<int, std::vector<std::uint64_t>> roots_of_;
  std::vector<std::uint64_t> watched_;
  // Declared last: destroyed first (helpers end while the instance exists).
  std::unique_ptr<TraceInstance> trace_;
  std::unique_ptr<HelperProcesses> helpers_;
};

Result<Run> Runner::run() {
  auto ranges = avc_call_sites();
  if (!ranges.ok()) return ranges.error();
  remove_stale_instances();
  auto trace = TraceInstance::create(*ranges, cpu_, options_.trace_buffer_kb);
  if (!trace.ok()) return trace.error();
  trace_ = std::move(*trace);

  std::vector<int> spawned;
  std::vector<int> op_lines;
  for (const Op& op : script_.ops) {
    op_lines.push_back(op.line);
    if (op.verb == Verb::spawn) spawned.push_back(op.proc);
  }
  const int nslots = int(script_.procs.size());
  auto helpers = HelperProcesses::create(nslots, spawned, &g_signal);
  if (!helpers.ok()) return helpers.error();
  helpers_ = std::move(*helpers);

  attributor_.emplace(std::move(op_lines), *ranges, cpu_);
  for (int slot : spawned) attributor_->add_process(helpers_->pid(slot), 0);
  if (options_.snapshot) {
    auto s = Snapshotter::open();
    if (!s.ok()) return s.error();
    snapshotter_ = std::move(*s);
  }
  Run run;
  if (options_.snapshot && options_.objects) {
    // Asked only now: a reader loading on its own thread had the setup's time.
    if (ReadError why; object_reader_available(&why)) {
      objects_ = true;
      if (auto c = RootLockCounter::open(); c.ok())
        locks_ = std::move(*c);
      else
        run.root_locks_unavailable = c.error().message;
    } else {
      run.objects_unavailable = why.message;
    }
  }
  created_.assign(std::size_t(nslots), false);

  std::vector<int> pids = helpers_->live_pids();
  if (Status s = trace_->trace_pids(pids); !s.ok()) return s.error();
  if (Status s = trace_->enable(); !s.ok()) return s.error();

  run.kernel_release = kernel_release();
  for (std::size_t i = 0; i < script_.ops.size(); ++i) {
    const Op& op = script_.ops[i];
    if (g_signal) return Error{"interrupted"};
    if (Status s = trace_->mark(begin_marker(op.line)); !s.ok()) return at(op, s.error().message);
    bool counting = false;
    const int op_pid =
        op.verb != Verb::spawn && helpers_->alive(op.proc) ? helpers_->pid(op.proc) : 0;
    if (locks_ && op_pid) {
      watched_ = roots_of_[op_pid];  // none before its first anon_vma
      counting = watched_.size() <= kMaxWatchedRoots && locks_->start(op_pid, watched_).ok();
    }
    auto result = execute(i, op);
    if (!result.ok()) return result.error();
    std::optional<RootLockCount> locks;
    if (counting)
      if (auto c = locks_->stop(); c.ok()) locks = *c;
    if (Status s = trace_->mark(end_marker(op.line)); !s.ok()) return at(op, s.error().message);
    if (Status s = drain_through(i, &run); !s.ok()) return at(op, s.error().message);
    OpResult r;
    r.line = op.line;
    r.result = std::move(*result);
    r.events = attributor_->take(i);
    if (snapshotter_)
      if (Status s = snapshot(op, full_snapshot_after(i), &r); !s.ok())
        return at(op, s.error().message);
    if (locks && lock_count_valid(op, op_pid, r)) {
      r.root_locks = locks;
      r.roots_watched = watched_.size();
    }
    if (op.verb == Verb::exit) roots_of_.erase(op_pid);
    if (Status s = sink_(std::move(r)); !s.ok()) return s.error();
  }

  if (Status s = trace_->disable(); !s.ok()) return s.error();
  auto in_script = [this](const Error& e) {
    return Error{fmt::format("{}: {}", script_.file, e.message)};
  };
  if (Status s = drain(&run); !s.ok()) return in_script(s.error());
  if (Status s = trace_->check_no_loss(); !s.ok()) return in_script(s.error());
  auto events = attributor_->finish();
  if (!events.ok()) return in_script(events.error());
  run.live_anon_vma = attributor_->live(ObjectKind::anon_vma);
  run.live_avc = attributor_->live(ObjectKind::anon_vma_chain);
  return run;
}

Result<std::string> Runner::execute(std::size_t index, const Op& op) {
  const std::string& name = script_.procs.at(std::size_t(op.proc));
  if (op.verb == Verb::spawn) {
    if (!helpers_->alive(op.proc)) return at(op, fmt::format("the helper of {} is gone", name));
    created_[std::size_t(op.proc)] = true;
    return std::string("ok");
  }
  if (!helpers_->alive(op.proc)) return at(op, fmt::format("process {} is not running", name));

  if (op.verb == Verb::fork) {
    auto r = helpers_->fork(op.proc, op.child);
    if (!r.ok()) return at(op, fmt::format("process {}: {}", name, r.error().message));
    if (*r != 0)
      return at(op, fmt::format("fork failed with {}; the script cannot go on without {}",
                                errno_name(int(-*r)), script_.procs.at(std::size_t(op.child))));
    created_[std::size_t(op.child)] = true;
    attributor_->add_process(helpers_->pid(op.child), index);
    return std::string("ok");
  }
  if (op.verb == Verb::exit) {
    const int pid = helpers_->pid(op.proc);
    if (Status s = helpers_->exit(op.proc); !s.ok())
      return at(op, fmt::format("process {}: {}", name, s.error().message));
    attributor_->end_process(pid, index);
    return std::string("ok");
  }
  auto r = helpers_->call(op.proc, command_for(op));
  if (!r.ok()) return at(op, fmt::format("process {}: {}", name, r.error().message));
  return *r == 0 ? std::string("ok") : errno_name(int(-*r));
}

Status Runner::drain(Run* run) {
  chunk_.clear();
  if (Status s = trace_->drain(&chunk_); !s.ok()) return s;
  if (options_.keep_trace) run->trace += chunk_;
  return attributor_->feed_text(chunk_);
}

// The end marker was written before this is called, but trace_pipe may
// hand out its page a moment later: drain until the attributor has seen it.
Status Runner::drain_through(std::size_t index, Run* run) {
  constexpr int kTries = 2000;  // 1 ms apart: a marker takes microseconds
  for (int i = 0; i < kTries; ++i) {
    if (Status s = drain(run); !s.ok()) return s;
    if (attributor_->closed(index)) return ok_status();
    if (g_signal) return Error{"interrupted"};
    usleep(1000);
  }
  return Error{"the trace never showed the operation's end marker"};
}

bool Runner::full_snapshot_after(std::size_t index) {
  if (!options_.snapshot_touched || index + 1 == script_.ops.size()) return true;
  const auto& full = options_.full_snapshots;
  while (next_full_ < full.size() && full[next_full_] < index) ++next_full_;
  return next_full_ < full.size() && full[next_full_] == index;
}

Status Runner::capture(int slot, OpResult* out) {
  ProcessState p;
  p.slot = slot;
  p.name = script_.procs[std::size_t(slot)];
  p.alive = helpers_->alive(slot);
  if (p.alive) p.pid = helpers_->pid(slot);
  if (p.alive)
    if (Status s = snapshotter_->capture(helpers_->pid(slot), &p); !s.ok()) return s;
  out->after.push_back(std::move(p));
  return ok_status();
}

Status Runner::snapshot(const Op& op, bool full, OpResult* out) {
  if (Status s = snapshot_layouts(op, full, out); !s.ok()) return s;
  if (!objects_) return ok_status();
  // The kernel's objects of the same processes: arena VMAs and present pages.
  std::vector<ReadRequest> requests;
  for (const ProcessState& p : out->after) {
    if (!p.alive) continue;
    ReadRequest& r = requests.emplace_back();
    r.pid = p.pid;
    r.start = kArenaBase;
    r.end = kArenaBase + std::uint64_t(kArenaPages) * kPageSize;
    for (const PageInfo& page : p.pages)
      if (!page.zero_page) {
        r.page_addresses.push_back(kArenaBase + std::uint64_t(page.page) * kPageSize);
        r.page_pfns.push_back(page.pfn);
      }
  }
  auto dump = std::make_shared<ObjectDump>();
  ReadError error;
  if (!read_objects(requests, dump.get(), &error)) return Error{error.message};
  // The roots each process's chains name, for the next lock count.
  for (const ReadRequest& r : requests) {
    std::vector<std::uint64_t> roots;
    for (const KernelVma& v : dump->vmas)
      if (v.pid == r.pid)
        for (std::uint64_t a : v.chain)
          if (const KernelAnonVma* av = dump->find_anon_vma(a))
            if (std::find(roots.begin(), roots.end(), av->root) == roots.end())
              roots.push_back(av->root);
    roots_of_[r.pid] = std::move(roots);
  }
  out->objects = std::move(dump);
  return ok_status();
}

// Whether the operation locked only roots that were watched: it made no new
// root in its process, and no anon_vma it allocated reused a watched root's
// memory (its initialisation writes the count).
bool Runner::lock_count_valid(const Op& op, int pid, const OpResult& r) const {
  for (const Event& e : r.events)
    if (e.type == EventType::alloc && e.kind == ObjectKind::anon_vma &&
        std::find(watched_.begin(), watched_.end(), e.ptr) != watched_.end())
      return false;
  // An exit's teardown is not counted (measured: 0 writes where the model
  // and the kernel's code take the root lock), so exits are not measured.
  if (op.verb == Verb::exit) return false;
  auto after = roots_of_.find(pid);
  if (after == roots_of_.end()) return watched_.empty();
  for (std::uint64_t root : after->second)
    if (std::find(watched_.begin(), watched_.end(), root) == watched_.end()) return false;
  return true;
}

Status Runner::snapshot_layouts(const Op& op, bool full, OpResult* out) {
  out->after_all = full;
  if (!full) {
    if (Status s = capture(op.proc, out); !s.ok()) return s;
    if (op.verb == Verb::fork && created_[std::size_t(op.child)]) return capture(op.child, out);
    return ok_status();
  }
  for (int slot = 0; slot < int(created_.size()); ++slot)
    if (created_[std::size_t(slot)])
      if (Status s = capture(slot, out); !s.ok()) return s;
  return ok_status();
}

}  // namespace

Counts OpResult::counts() const {
  Counts c;
  for (const Event& e : events) ++c.of(e.type, e.kind);
  return c;
}

Status probe() {
#if !defined(__x86_64__)
  return Error{"the live-kernel runner supports only x86_64"};
#else
  if (kHelperImageSize == 0) return Error{"this build has no helper program"};
  if (geteuid() != 0)
    return Error{
        "not root: observing the kernel needs root (tracefs, kernel "
        "addresses in /proc/kallsyms, /proc/PID/pagemap)"};
  if (Status s = ensure_tracefs(); !s.ok()) return s;
  if (Status s = check_kmem_events(); !s.ok()) return s;
  if (auto r = avc_call_sites(); !r.ok()) return r.error();
  if (Status s = check_liftable_limits(); !s.ok()) return s;
  if (auto noexec = read_text_file("/proc/sys/vm/memfd_noexec");
      noexec.ok() && noexec->starts_with("2"))
    return Error{"vm.memfd_noexec = 2 forbids running the helper program from a memfd"};
  return ok_status();
#endif
}

Result<Run> run(const Script& script, const Options& options, const OpSink& sink) {
  if (Status s = probe(); !s.ok()) return s.error();
  std::lock_guard<std::mutex> lock(g_run_mutex);
  g_signal = 0;
  Result<Run> result = Error{""};
  {
    ProcessSettings settings(script);
    if (!settings.status().ok()) {
      result = settings.status().error();
    } else if (!settings.pinned()) {
      result = Error{
          fmt::format("cannot pin the runner to CPU {}: {}", settings.cpu(), std::strerror(errno))};
    } else {
      Runner runner(script, options, sink, settings.cpu());
      result = runner.run();
    }  // helpers end and the instance goes before the settings are restored
  }
  if (int sig = g_signal) {
    g_signal = 0;
    raise(sig);  // the caller's disposition, restored above, decides
    return Error{fmt::format("interrupted by SIG{}", sigabbrev_np(sig))};
  }
  return result;
}

Result<Run> run(const Script& script, const Options& options) {
  std::vector<OpResult> ops;
  auto r = run(script, options, [&ops](OpResult&& op) {
    ops.push_back(std::move(op));
    return ok_status();
  });
  if (r.ok()) r->ops = std::move(ops);
  return r;
}

}  // namespace rmaplab::kernel
