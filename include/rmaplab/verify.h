// Model versus kernel: the comparison behind `rmaplab verify`.
//
// compare_runs() takes the model's record of a script (run_script) and the
// kernel's (kernel::run) and checks, operation by operation:
//   result    the system call's result
//   counts    anon_vma and AVC allocations and frees
//   events    the sequence of allocations and frees, with their call sites
//   identity  objects pair up one to one: a consistent map from kernel
//             objects to model objects, so what the kernel frees at an
//             operation is what the model frees there
//   layout    each live process's VMAs in the arena (bounds, protection)
//   pages     which (process, page) pairs share one physical page, the
//             kernel's mapcount, and zero-page mappings
// (layout and pages need the kernel run's snapshots.)
//
// verify_script() is the whole of verifying one script: the model first (a
// script error stops there, before any process starts), then the kernel with
// snapshots of the processes each operation touched, streamed operation by
// operation into a RunComparer beside the model's steps, so memory follows
// the live state, not the script's length. `rmaplab verify` and the corpus tests both
// go through it; summary_line() and to_json(Verification) are its one-line
// and JSON forms for runs over many scripts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/kernel.h"
#include "rmaplab/profile.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"
#include "rmaplab/state.h"

namespace rmaplab {

enum class DiffKind { result, counts, events, identity, layout, pages, objects };
inline constexpr std::array<DiffKind, 7> kDiffKinds = {
    DiffKind::result, DiffKind::counts, DiffKind::events, DiffKind::identity,
    DiffKind::layout, DiffKind::pages,  DiffKind::objects};
std::string_view to_string(DiffKind kind);

struct Difference {
  DiffKind kind;
  int line = 0;
  std::string op;       // the operation's text
  std::string message;  // what differs: "model frees anon_vma #3, kernel frees the object the model
                        // calls #2"
};

// One operation side by side.
struct OpComparison {
  int line = 0;
  std::string op;
  std::string model_result, kernel_result;
  Counts model, kernel;
  std::vector<DiffKind> differs;  // kinds that differ at this operation
};

struct Comparison {
  std::vector<OpComparison> ops;  // every row, when kept (compare_runs; VerifyOptions::keep_ops)
  std::vector<Difference> first;  // the first difference of each kind, by kind order
  std::size_t operations = 0;     // operations compared
  std::size_t differences = 0;    // operations with any difference
  bool compared_snapshots = false;
  // "objects": the kernel's objects were read after every operation and
  // compared (DiffKind::objects); "events": results, events and snapshots only.
  std::string depth = "events";
  // Operations whose root rwsem acquisitions were measured on the kernel
  // (kernel::OpResult::root_locks) and compared with the model's
  // anon_vma_root_write and anon_vma_root_read; the other locks stay
  // modelled. Of those, the ones compared write by write and read by read
  // (the rest, in total).
  std::size_t root_locks_measured = 0;
  std::size_t root_locks_by_kind = 0;
  std::string model{model::kDefaultProfile};  // the profile the model ran under
  bool agree() const { return differences == 0; }
};

// Pairs the two records operation by operation. Records of different
// lengths (neither run_script nor kernel::run returns a partial record, so
// this is a caller's bug) are reported as a `result` difference at the first
// operation only one side has.
Comparison compare_runs(const Script& script, const RunReport& model, const kernel::Run& kernel);

// compare_runs() one operation at a time, as the two sides produce them:
// what it keeps is the verdict (the first difference of each kind, counts),
// the pairing of the objects alive now, and the rows only if asked, so a
// long run costs memory for its live objects, not its length.
//
// A kernel operation whose snapshot is partial (kernel::OpResult::after_all
// false) has its layout and pages compared for the processes it lists only;
// a full one also for which processes are alive.
class RunComparer {
 public:
  RunComparer(const Script& script, bool keep_ops);
  ~RunComparer();
  RunComparer(const RunComparer&) = delete;
  RunComparer& operator=(const RunComparer&) = delete;

  // With `model_state` (the model after this operation) and the kernel's
  // objects (kernel::OpResult::objects), also compares them object for
  // object through the pairing of ids: each anon_vma's counters, root and
  // parent, each VMA's anon_vma and chain in order, each tree in order, each
  // page's folio anon_vma, index and mapcount.
  void op(const OpRecord& model, const kernel::OpResult& kernel,
          const ::rmaplab::State* model_state = nullptr);
  // An operation only one side recorded (`model_result` or `kernel_result`
  // is "(none)"): a `result` difference.
  void one_sided(int line, std::string op, std::string model_result, std::string kernel_result,
                 std::size_t model_ops, std::size_t kernel_ops);
  const Comparison& comparison() const;
  Comparison take();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

nlohmann::json to_json(const Comparison& c);

// --- one script, end to end ---

struct VerifyOptions {
  // Only run on the kernel (the model still runs first, to reject script
  // errors, but nothing is compared).
  bool kernel_only = false;
  // Snapshots (layout and page comparison) cost a few /proc reads per
  // operation; without them only results, counts, events and identity are
  // compared.
  bool snapshots = true;
  // With snapshots: also read the kernel's objects with BPF after every
  // operation and compare them (Comparison::depth "objects"). Where the BPF
  // reader cannot run, depth_note says why and the comparison is as without.
  bool objects = false;
  // verify_scripts(): at most this many processes (script slots) per joined
  // kernel run; 0 runs every script alone.
  std::size_t batch_processes = 256;
  // The rules the model runs under (src/profile); null: linux-6.18, the
  // kernel's. Another profile shows where the kernel tells the rules apart.
  const model::Profile* profile = nullptr;
  // Keep every operation's row (Comparison::ops; with kernel_only the
  // kernel's ops in Verification::kernel), as a table or JSON of the whole
  // run needs. Without them memory follows the live processes, not the
  // script's length.
  bool keep_ops = true;
  // Also keep the kernel's operations (events, snapshots) in
  // Verification::kernel when comparing, for tests that compare kernel runs.
  bool keep_kernel_ops = false;
  // Called after each operation the kernel finishes, with the number
  // finished so far by this verify_script() or verify_scripts() call.
  std::function<void(std::size_t)> progress;
};

struct Verification {
  enum class Outcome {
    agree,         // every operation agrees
    differ,        // at least one operation differs
    script_error,  // the script cannot run: error says where and why
    kernel_error,  // the kernel cannot be observed, or the run failed
    ran,           // kernel_only: the kernel ran the script
  };
  Outcome outcome = Outcome::script_error;
  std::string error;           // script_error, kernel_error: one sentence
  std::size_t operations = 0;  // the script's operation lines
  kernel::Run kernel;  // agree, differ, ran (ops: kernel_only with keep_ops, or keep_kernel_ops)
  // The kernel's anon_vma and AVC allocations and frees over the script
  // (agree, differ, ran).
  Counts kernel_counts;
  Comparison comparison;  // agree, differ (empty with kernel_only)
  // VerifyOptions::objects asked for but the reader cannot run: why, one
  // line; root_locks_note the same for the root lock counts.
  std::string depth_note, root_locks_note;
  void note_depth() {
    if (!kernel.objects_unavailable.empty())
      depth_note =
          "objects not compared, only events, layouts and pages: " + kernel.objects_unavailable;
    if (!kernel.root_locks_unavailable.empty())
      root_locks_note = "root rwsem acquisitions not measured: " + kernel.root_locks_unavailable;
  }
  // differ, from verify_scripts(): set when the script differed in a joined
  // run but agreed when run alone (the comparison is the joined run's).
  std::string note;
};
std::string_view to_string(Verification::Outcome outcome);  // "agree", "differ", ...

// Runs `script` through the model and, if it is valid, on the kernel, and
// compares. The kernel's observability is not probed first: a kernel that
// cannot be observed is a kernel_error with kernel::probe()'s message.
Verification verify_script(const Script& script, const VerifyOptions& options = {});

// --- many scripts ---

// Verifies `scripts` in order and calls done(i, verification) for each, in
// order, as soon as it is known; returns them all.
//
// The fixed cost of a kernel run (a tracefs instance made and removed, about
// 0.15 s) dwarfs a short script's, so consecutive valid scripts are joined
// into one kernel run: processes renamed apart, every process a script
// leaves alive made to exit after its last operation (those exits are not
// compared, as a lone run's clean-up is not). Each script's part of the run
// is then cut out (its operations with their own lines, its processes with
// their own names and slots, object ids renumbered from 1 per kind in
// allocation order) and compared with that script's own model run, exactly
// as verify_script() would. This is sound because scripts share nothing on
// either side: each process has its own address space, a MAP_SHARED mapping
// is its own shmem object, and anon_vmas are only ever shared within a fork
// family. To keep that an assumption checked, not trusted, a script that
// differs is verified again alone; the lone result is the one returned,
// unless it agrees (then the joined run's comparison is kept, with `note`
// saying so). A joined run that fails falls back to one run per script.
std::vector<Verification> verify_scripts(
    std::span<const Script> scripts, const VerifyOptions& options = {},
    const std::function<void(std::size_t, const Verification&)>& done = {});

// --- many scripts named on a command line ---

// One script of a run over many: a file to load, or a generated one.
struct ScriptSource {
  std::string name;                   // as shown: the path ("-": stdin), or seed-S.rml
  std::optional<std::uint64_t> seed;  // generated
};

// Generated scripts: `count` of them, seeds seed, seed + 1, ... (gen.h).
struct GenerateOptions {
  std::uint64_t count = 0;
  std::uint64_t seed = 1;
  int procs = 8;
  int ops = 60;
  // The rules the scripts are generated under (the verify's profile), so
  // that every access they make is valid there; null: linux-6.18.
  const model::Profile* profile = nullptr;
};

// The paths (a directory stands for every *.rml directly in it, sorted by
// name), then the generated scripts. An error (a directory that cannot be
// listed or holds no script) is one sentence.
Result<std::vector<ScriptSource>> script_sources(std::span<const std::string> paths,
                                                 const GenerateOptions& generate);

// The command that writes a generated script out: "rmaplab gen --seed S ...".
std::string gen_command(const GenerateOptions& generate, std::uint64_t seed);

struct VerifyTotals {
  std::size_t scripts = 0;
  std::array<std::size_t, 5> outcomes{};     // by Verification::Outcome
  std::vector<std::uint64_t> failing_seeds;  // generated scripts that did not agree
  std::size_t count(Verification::Outcome o) const { return outcomes[std::size_t(o)]; }
};

// Loads or generates each source and verifies them in order, consecutive
// ones joined into kernel runs (verify_scripts) at most 256 scripts at a
// time, so memory stays bounded however many there are. done(source,
// verification) is called for each, in order, as soon as it is known; a
// source that does not load is a script_error there. The kernel is not
// probed first (the caller does that once).
VerifyTotals verify_sources(
    std::span<const ScriptSource> sources, const GenerateOptions& generate,
    const VerifyOptions& options,
    const std::function<void(const ScriptSource&, const Verification&)>& done);

// The operations `sources` hold, for progress: files are read, generated
// scripts count generate.ops each.
std::size_t count_operations(std::span<const ScriptSource> sources,
                             const GenerateOptions& generate);

// --- their text and JSON forms (src/report/compare.cc) ---

// summary_line(), and for a generated script that did not agree the command
// that replays it.
std::string source_line(const ScriptSource& source, std::size_t width, const Verification& v,
                        const GenerateOptions& generate);
// "total: 4 scripts, 2 agree, 1 differ, 1 script error; failing seeds: 17".
std::string totals_line(const VerifyTotals& totals, bool kernel_only);
// to_json(name, v), with "seed" and "generated_by" for a generated script.
nlohmann::json source_json(const ScriptSource& source, const Verification& v,
                           const GenerateOptions& generate);
// {"scripts", "agree", "differ", "script_error", "kernel_error", "ran"}.
nlohmann::json totals_json(const VerifyTotals& totals);
// {"error": {"message", "file", "line", "column"}}: the place is read from
// the sentence's "FILE:LINE:COLUMN: " prefix, null where it has none.
nlohmann::json error_json(std::string_view message);

// The anonymous large folio sizes this kernel gives a fault unasked
// (transparent_hugepage's or an mTHP size's "enabled" is "always"), as a
// note for the user, or "" if there are none. The model has order-0 folios
// only; a VMA that can hold an aligned folio of such a size may then differ
// in its pages (never in its anon_vma counts). `root`: the sysfs directory,
// for tests.
std::string large_folio_note(const std::string& root = "/sys/kernel/mm/transparent_hugepage");

// One line (no newline) for a run over many scripts, `name` padded to
// `width`:
//   examples/03-fork.rml  14 ops  agree
//   seed-7.rml            60 ops  2 ops differ: counts at line 20 (P fork C): model ..., kernel ...
//   bad.rml               script error: bad.rml:3:1: ...
//   x.rml                 14 ops  anon_vma +3/-3  AVC +6/-6  live 0/0   (ran)
// With more than one kind of difference, each further kind follows on its
// own line, indented.
std::string summary_line(std::string_view name, std::size_t width, const Verification& v);

// {"file", "outcome", "operations", "error" (errors only), "comparison"
// (to_json(Comparison); agree, differ) or "result" (kernel_only:
// kernel::to_json)}.
nlohmann::json to_json(std::string_view name, const Verification& v);

}  // namespace rmaplab
