// The live-kernel runner: runs a script with real processes on the running
// Linux kernel and reports, per operation, the kernel's allocations and frees
// of `struct anon_vma` and `struct anon_vma_chain` (AVC).
//
// How (details in src/kernel/runner.cc):
//   * Every script process is a tiny freestanding helper program that owns no
//     anon_vma of its own, so every event its process causes comes from the
//     script. Helpers of `spawn`ed processes are started before tracing
//     begins; a `spawn` operation therefore reports no events. A `fork` is a
//     real fork of the parent's helper.
//   * Events come from the kmem:kmem_cache_alloc / kmem_cache_free
//     tracepoints in a private tracefs instance `instances/rmaplab-<pid>`
//     (global tracing state is never touched). anon_vma events are selected by
//     cache name; AVC events by call site (the function that allocated or
//     freed), because the anon_vma_chain slab is merged with other 64-byte
//     caches. The runner and all helpers run on one CPU; trace_marker lines
//     delimit each operation, and only events of the script's processes count.
//   * Lost trace events are an error, never a silent miscount.
//
// Ownership and threads: run() returns plain values. Calls to run() are
// serialised process-wide (a mutex), and run() must be called from a thread
// that stays alive until it returns. While it runs it temporarily, and only
// for the calling process: pins the calling thread to one CPU, makes the
// process a child subreaper, raises RLIMIT_NOFILE if the script needs more
// descriptors (two per live process: they follow the live processes, so a
// script that forks forever needs few), and handles SIGINT, SIGTERM, SIGHUP
// and SIGQUIT (unless the process ignores them). All of that is restored
// before it returns. On such a signal it ends every helper, removes its
// tracefs instance, restores the previous signal handlers and re-raises the
// signal; if that does not end the process, run() returns an "interrupted"
// error. If the process is killed outright, the helpers die with it (they
// read end-of-file on their channels), and the next run removes the stale
// instance. Resource limits that would make the kernel refuse what the model
// allows (RLIMIT_AS, RLIMIT_DATA, RLIMIT_NPROC) are lifted for the helpers;
// probe() fails if they cannot be (src/kernel/limits.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/event.h"
#include "rmaplab/kernel_objects.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

// One kmem_cache_alloc or kmem_cache_free of an anon_vma or an AVC.
struct Event {
  EventType type = EventType::alloc;
  ObjectKind kind = ObjectKind::anon_vma;
  // The function the kernel names, e.g. "anon_vma_fork": it need not be one
  // the model knows (rmaplab::CallSite), and a difference is a finding.
  std::string call_site;
  std::uint64_t ptr = 0;  // the object's kernel address
  // Object identity within the run, per kind: 1, 2, ... in order of
  // allocation. A pointer that is freed and allocated again (slabs reuse
  // memory at once) gets a new id at its new allocation.
  std::uint32_t id = 0;
  int pid = 0;  // the process whose system call or fault caused the event
};

// A VMA inside the arena: pages [start, end) and its /proc/PID/maps perms.
struct VmaLayout {
  std::uint32_t start = 0, end = 0;
  std::string prot;  // e.g. "rw-p", "r--s"
  bool operator==(const VmaLayout&) const = default;
};

// A present page inside the arena.
struct PageInfo {
  std::uint32_t page = 0;      // arena page number
  bool zero_page = false;      // the shared zero page (KPF_ZERO_PAGE)
  std::uint64_t pfn = 0;       // /proc/PID/pagemap
  std::uint64_t mapcount = 0;  // /proc/kpagecount
  bool exclusive = false;      // pagemap bit 56: exclusively mapped
  bool operator==(const PageInfo&) const = default;
};

// One script process after an operation. A full snapshot lists every process
// the script has created so far, in slot order; one that exited has
// alive=false and nothing else.
struct ProcessState {
  int slot = -1;
  std::string name;
  bool alive = false;
  std::vector<VmaLayout> vmas;
  std::vector<PageInfo> pages;
  int pid = 0;  // its helper's (0 once it exited); last, for aggregate initialisation
};

// Root rwsem acquisitions seen by hardware breakpoints on the rwsem counts.
struct RootLockCount {
  std::uint64_t writes = 0;          // to the watched counts
  std::uint64_t write_acquired = 0;  // down_write
  std::uint64_t read_acquired = 0;   // down_read
  // Every write was one half of an uncontended acquire/release pair, so
  // the two kinds account for all of them. False where a count was written
  // in another way (a waiter, or a lock already held when counting began).
  bool classified() const { return writes == 2 * (write_acquired + read_acquired); }
};

// Whether root rwsem acquisitions can be measured here (Options::objects
// measures them where they can); *why says why not: not x86-64, no BTF, or
// the kernel refuses hardware breakpoints on kernel addresses.
bool root_lock_counts_available(std::string* why);

struct OpResult {
  int line = 0;
  std::string result;               // "ok" or the errno name, e.g. "EFAULT"
  std::vector<Event> events;        // in trace order
  std::vector<ProcessState> after;  // only with Options::snapshot
  // With Options::objects: the kernel's objects of the live processes in
  // `after` (their arena VMAs, chains, the anon_vmas named and their trees,
  // the folios of their present pages), read with BPF.
  std::shared_ptr<const ObjectDump> objects;
  // With Options::objects, where it could be measured: the acquisitions of
  // the rwsems of the roots its chains named before the operation, by the
  // operation's process (and a child it forked), counted with hardware
  // breakpoints (src/kernel/root_lock_counter.h). Unset where those roots
  // were more than 4, where the operation made a new root (first faults: it
  // was not watched), at an exit (its teardown's writes are not counted:
  // measured 0), or where a watched root's memory was reused by an anon_vma
  // allocated in the operation.
  std::optional<RootLockCount> root_locks;
  std::size_t roots_watched = 0;
  // Whether `after` lists every process created so far (a full snapshot) or
  // only those the operation touched (Options::snapshot_touched).
  bool after_all = true;

  Counts counts() const;  // of its events
};

struct Run {
  std::string kernel_release;  // uname -r
  std::vector<OpResult> ops;   // one per script operation, in order
  // Objects alive after the last operation (before the runner ends the
  // processes the script left running): allocations minus frees.
  std::size_t live_anon_vma = 0, live_avc = 0;
  // Options::objects asked for: why the objects were not read ("" when they
  // were), and why the root locks were not measured.
  std::string objects_unavailable, root_locks_unavailable;
  // With Options::keep_trace: the instance's text trace as read (markers and
  // the filtered kmem events), for debugging and recording test data.
  std::string trace;
};

struct Options {
  bool snapshot = false;  // capture maps and pagemap after every operation
  // Per-CPU ring buffer of the private tracefs instance. The runner drains it
  // after every operation, so this bounds the events of one operation.
  std::size_t trace_buffer_kb = 4096;
  bool keep_trace = false;  // fill Run::trace
  // With snapshot: after most operations only the processes the operation
  // touched (its process; for fork also the child), so a long run costs
  // per operation what the operation changed, not every live process; a
  // full snapshot after the last operation and after each operation index
  // in full_snapshots (sorted).
  bool snapshot_touched = false;
  std::vector<std::size_t> full_snapshots;
  // With snapshot: also read the kernel's objects (OpResult::objects) of the
  // processes each snapshot lists, and measure root locks, where they can be
  // (Run::objects_unavailable, Run::root_locks_unavailable say why not). The
  // runner asks for the BPF object reader once its own setup is done, so a
  // reader loading meanwhile (preload_object_reader()) costs nothing extra.
  bool objects = false;
};

// Receives each operation's result as soon as it is complete (its events
// all attributed, its snapshot taken), in script order. An error it returns
// stops the run and becomes run()'s error.
using OpSink = std::function<Status(OpResult&& op)>;

// Whether the running kernel can be observed here. The error names what is
// missing: an unsupported architecture, not root, tracefs not mountable,
// missing kmem events, call-site functions missing from /proc/kallsyms
// (or hidden by kptr_restrict), a resource limit that cannot be lifted,
// memfd execution forbidden.
Status probe();

// Runs the script on the kernel. Errors (the kernel cannot be observed, a
// helper died, trace events were lost, interrupted) are one sentence with the
// script's file and line where one applies. System calls the kernel refuses
// are not errors: they are results.
Result<Run> run(const Script& script, const Options& options = {});

// The same, handing each operation to `sink` instead of keeping it: the
// returned Run has no ops, so memory follows the live processes, not the
// script's length.
Result<Run> run(const Script& script, const Options& options, const OpSink& sink);

// The language's --json shape (shared/docs/workload-language.md), plus:
//   "kernel": release,
//   per op: "events": [{"op": "alloc"|"free", "kind": "anon_vma"|"avc",
//                       "site": "anon_vma_fork", "id": N}],
//           "call_sites": {"anon_vma_fork": {"anon_vma_alloc": 1,
//                          "anon_vma_free": 0, "avc_alloc": 2, "avc_free": 0}},
//           "after": [{"name", "slot", "alive", "vmas": [{"start", "end",
//                      "prot"}], "pages": [{"page", "pfn", "zero_page",
//                      "mapcount", "exclusive"}]}]   (only with snapshots)
nlohmann::json to_json(const Run& run);

}  // namespace rmaplab::kernel
