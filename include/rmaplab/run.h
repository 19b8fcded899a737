// Running a script through the model.
//
// A Simulation owns one modelled machine and applies a Script's operations
// one at a time, recording for each what the kernel would show: the result,
// the anon_vma/anon_vma_chain allocations and frees (with call sites and
// stable ids, in the kernel's order), the live totals and each process's VMA
// layout. With RunOptions::check the invariant checker runs after every
// operation and the run stops at the first violation.
//
// A script error that only running can reveal (a read or write of a page the
// process cannot access: the real process would die) is reported as an Error
// naming file:line:column; run_script() then returns no partial result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace model {
class Machine;
class Env;
struct Event;
struct Profile;
}  // namespace model

struct EventRecord {
  bool alloc = true;
  bool anon_vma = true;  // else anon_vma_chain
  std::string site;      // kernel function, e.g. "anon_vma_fork"
  std::uint32_t id = 0;  // per kind, 1-based, in allocation order
};

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

struct OpRecord {
  int line = 0;
  std::string text;           // the operation, canonical form
  std::string result = "ok";  // "ok", an errno name, or "OOM" for a fault
  int anon_vma_alloc = 0, anon_vma_free = 0, avc_alloc = 0, avc_free = 0;
  std::vector<EventRecord> events;
  std::size_t live_anon_vma = 0, live_avc = 0;  // after the operation
  std::vector<ProcessRecord> layout;            // live processes after it
  // Lock acquisitions during the operation, by lock ("anon_vma_root_write",
  // "mmap_lock_read", ...: every lock the model counts, see src/model/env.h).
  std::map<std::string, std::uint64_t> locks;
  Metrics metrics;  // after it (RunOptions::metrics)
};

// An invariant the checker found broken.
struct Violation {
  std::string rule;     // e.g. "I6 num_active_vmas"
  std::string message;  // one sentence naming the objects
  int line = 0;         // the operation after which it was found
  std::string op;       // that operation's text
};

struct RunOptions {
  bool check = false;            // invariant checker after every operation
  int stop_after_line = 0;       // stop after the operation on this line (0: run all)
  std::uint64_t fail_alloc = 0;  // inject a failure at this anon_vma/AVC allocation (1-based)
  bool layouts = true;           // record VMA layouts per operation
  bool metrics = false;          // compute OpRecord::metrics per operation
  const model::Profile* profile = nullptr;  // the rules (src/profile); null: linux-6.18
};

struct RunReport {
  std::string profile = "linux-6.18";  // the rules the model ran under
  std::vector<OpRecord> ops;
  std::size_t live_anon_vma = 0, live_avc = 0;
  std::optional<Violation> violation;
};

class Simulation {
 public:
  Simulation(const Script& script, RunOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  bool done() const;
  // Applies the next operation. An Error is a script error (see above).
  Result<OpRecord> step();
  // Runs the invariant checker now.
  std::optional<Violation> check() const;

  const Script& script() const { return script_; }
  const model::Machine& machine() const;
  std::size_t next_op() const { return next_; }

 private:
  const Script& script_;
  RunOptions options_;
  std::unique_ptr<model::Env> env_;
  std::unique_ptr<model::Machine> machine_;
  std::size_t next_ = 0;
};

// Runs the whole script (or up to options.stop_after_line).
Result<RunReport> run_script(const Script& script, const RunOptions& options);

// "ok", "EINVAL", ... for 0 or a negative errno.
std::string errno_name(int error);

}  // namespace rmaplab
