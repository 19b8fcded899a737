// Running a script through the model: the one driver every command uses.
//
// A Simulation owns one modelled machine and applies a Script's operations
// one at a time, recording for each what the kernel would show: the result,
// the anon_vma/anon_vma_chain allocations and frees (with call sites and
// stable ids, in the kernel's order), the live totals, the locks taken and,
// if asked, VMA layouts and the hierarchy's metrics. With RunOptions::check
// the invariant checker runs after every operation and the run stops at the
// first violation; a rule a model function guards (src/model/rule.h) stops
// it the same way, in every build.
//
// A script error that only running can reveal (a read or write of a page the
// process cannot access: the real process would die) is reported as an Error
// naming file:line:column (unless RunOptions::on_fault says the process dies).
// run_script() streams: each record goes to the caller as it is made.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rmaplab/event.h"
#include "rmaplab/profile.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

class Simulation;
namespace run_internal {
struct Model;  // the modelled machine and its Env (src/run/model_of.h)
const Model& model_of(const Simulation& sim);
}  // namespace run_internal

struct VmaRecord {
  std::uint32_t start = 0, end = 0;  // arena pages [start, end)
  std::string prot;                  // /proc/PID/maps style: "rw-p", "r--s"
  std::uint64_t pgoff = 0;           // the kernel's vm_pgoff
  std::uint32_t anon_vma = 0;        // id of the active anon_vma, 0 if none
  std::uint32_t chain = 0;           // length of its anon_vma_chain
};

struct PageRecord {
  std::uint32_t page = 0;   // arena page with a present PTE
  std::uint32_t folio = 0;  // folio id; 0 for the zero page
  bool zero_page = false;
  bool shared = false;         // a shmem page (MAP_SHARED)
  std::uint32_t mapcount = 0;  // PTEs mapping the folio, all processes
};

struct ProcessRecord {
  std::string name;
  int slot = -1;
  std::vector<VmaRecord> vmas;
  std::vector<PageRecord> pages;
};

// The shape of the anon_vma hierarchy after an operation (RunOptions::metrics):
// what grows when a lineage forks forever under a rule without reuse.
struct Metrics {
  // Live AVCs per live VMA that has an anon_vma (0 if none): the average
  // anon_vma_chain length, which is what each fork copies and each exit
  // unlinks under the root lock.
  double avc_per_vma = 0;
  // The longest anon_vma_chain of any live VMA.
  std::uint32_t max_chain = 0;
  // The longest rmap walk: over every mapped anonymous folio, the most
  // candidate VMAs the walk of folio->mapping's interval tree visits.
  std::uint32_t max_walk = 0;
};

// One anon_vma a fork's chain walk asked the reuse rule about
// (Profile::fork_may_reuse): what the rule saw, and whether it took it.
struct ForkReuse {
  std::uint32_t anon_vma = 0;   // its id
  std::uint64_t vma_start = 0;  // the parent VMA being forked, its first page
  model::ReuseCandidate seen;
  bool reused = false;
};

struct OpRecord {
  int line = 0;
  std::string text;           // the operation, canonical form
  std::string result = "ok";  // "ok", an errno name, or "OOM" for a fault
  Counts counts;
  std::vector<Event> events;                    // in the kernel's order (RunOptions::record_events)
  std::size_t live_anon_vma = 0, live_avc = 0;  // after the operation
  // The VMAs after the operation (RunOptions::layouts): of every live
  // process (Layouts::all), or only of the processes the operation acted on,
  // in the pages it could have changed (Layouts::window; see there).
  std::vector<ProcessRecord> layout;
  // Lock acquisitions during the operation: every lock the model counts
  // (src/model/env.h says where each is taken).
  LockCounts locks;
  // A fork's reuse decisions, in walk order (RunOptions::record_events).
  std::vector<ForkReuse> fork_reuse;
  std::optional<Metrics> metrics;  // after it (RunOptions::metrics)
};

// An invariant the checker found broken, or a rule a model function guards
// (a counter underflow, a lock taken twice) that an operation broke.
struct Violation {
  std::string rule;     // e.g. "I6 num_active_vmas"
  std::string message;  // one sentence naming the objects
  int line = 0;         // the operation after (or during) which it was found
  std::string op;       // that operation's text
  bool during = false;  // a model function's guard (src/model/rule.h) stopped the operation
};

// Which VMAs an OpRecord lists.
enum class Layouts : std::uint8_t {
  none,
  // The processes the operation acted on (its own; a fork's child), and of
  // them the VMAs that meet the pages it could have changed: its range and
  // one page either side (a merge reaches a neighbour), both ranges of an
  // mremap, everything for fork and exit. Cost follows the operation, not
  // the size of the machine.
  window,
  all,  // every VMA of every live process
};

// What happens when a read or write touches a page the process cannot
// access (the real process gets SIGSEGV or SIGBUS).
enum class OnFault : std::uint8_t {
  script_error,  // the script is wrong: step() returns an Error naming file:line:column
  kill,          // the process dies (exit_mmap); later operations of it are skipped
};

struct RunOptions {
  // The invariant checker after every operation (what the operation touched),
  // and the whole state every `full_check_every` operations (0: never) and
  // at the end. The run stops at the first violation.
  bool check = false;
  std::uint64_t full_check_every = 0;
  int stop_after_line = 0;       // stop after the operation on this line (0: run all)
  std::uint64_t fail_alloc = 0;  // inject a failure at this anon_vma/AVC allocation (1-based)
  Layouts layouts = Layouts::all;
  bool pages = true;          // with layouts, each process's present pages too
  bool metrics = false;       // compute OpRecord::metrics per operation (costs the whole state)
  bool record_events = true;  // OpRecord::events, with stable ids
  OnFault on_fault = OnFault::script_error;
  const model::Profile* profile = nullptr;  // the rules (src/profile); null: linux-6.18
};

// What a whole run adds up to; kept as the run goes, so it costs nothing
// per operation already reported.
struct RunSummary {
  std::string profile{model::kDefaultProfile};  // the rules the model ran under
  std::uint64_t ops = 0;                        // operations applied
  std::uint64_t skipped = 0, killed = 0;        // OnFault::kill only
  Counts total;
  // Per call site (kernel function), in order of first appearance.
  std::vector<std::pair<CallSite, Counts>> call_sites;
  std::size_t live_anon_vma = 0, live_avc = 0;
  Metrics metrics;  // of the final state
  std::optional<Violation> violation;
};

// A whole run kept in memory (tests, small scripts): the summary and every
// operation's record.
struct RunReport {
  std::string profile{model::kDefaultProfile};  // the rules the model ran under
  std::vector<OpRecord> ops;
  std::size_t live_anon_vma = 0, live_avc = 0;
  std::optional<Violation> violation;
};

// The one driver: a script applied to the model operation by operation,
// with the checks, failure injection and stopping point of RunOptions.
// Every command runs the model through it.
class Simulation {
 public:
  Simulation(const Script& script, RunOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // No operation left (or the next one is past stop_after_line), or a
  // violation ended the run.
  bool done() const;
  // Applies the next operation and, with RunOptions::check, checks what it
  // touched. An Error is a script error (see above); a broken rule is not
  // an error but violation(). The script may grow between steps (the
  // generator and the engine fuzzer write it as they go).
  Result<OpRecord> step();
  // Every process still alive exits (a teardown after the script: what is
  // left must then be nothing).
  void exit_all();
  // Runs the whole-state checker now; a finding becomes violation() and
  // ends the run.
  const std::optional<Violation>& check_all();
  // The whole-state checker's finding now, leaving the run as it is (a test
  // that steps on past a violation to see what follows).
  std::optional<Violation> check() const;
  const std::optional<Violation>& violation() const { return violation_; }

  // Totals so far, and the live state at the end of them.
  RunSummary summary() const;

  const Script& script() const { return script_; }
  const RunOptions& options() const { return options_; }
  std::size_t next_op() const { return next_; }

 private:
  Violation violation_at(std::string rule, std::string message) const;
  void note_violation(std::string rule, std::string message);

  friend const run_internal::Model& run_internal::model_of(const Simulation& sim);

  const Script& script_;
  RunOptions options_;
  std::unique_ptr<run_internal::Model> model_;
  std::size_t next_ = 0;
  std::uint64_t applied_ = 0, skipped_ = 0, killed_ = 0;
  std::vector<CallSite> call_site_order_;  // call sites in order of first event
  std::optional<Violation> violation_;
};

// Runs the whole script (or up to options.stop_after_line), handing each
// operation's record to `on_op` as it is made and keeping none: memory
// follows the live state. With options.check the whole state is also
// checked at the end.
Result<RunSummary> run_script(const Script& script, const RunOptions& options,
                              const std::function<void(const OpRecord&)>& on_op);

// The same, keeping every record.
Result<RunReport> run_script(const Script& script, const RunOptions& options);

}  // namespace rmaplab
