// Reporters: how a run, a modelled state and an rmap walk are shown.
//
// Each form is a pure function of library values (RunReport, Simulation,
// Walk) returning a string or a JSON value, one concept per file in
// src/report/: the per-operation text table (table.cc), the --json document
// (json.cc), the Graphviz picture of a state (dot.cc), the rmap walk of one
// folio (walk.cc), a kernel run (kernel.cc) and model versus kernel
// (compare.cc). The Reporter picks the form (text or JSON) for the
// CLI and writes it out; nothing is written before the result is complete,
// so a run that ends in a script error never leaves half a table behind.
//
// Output is deterministic: objects are listed by id, processes by slot,
// VMAs by address, JSON keys in sorted order.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rmaplab/profile.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace kernel {
struct Run;
}
struct Comparison;
class State;
struct FailEachReport;
struct FuzzStats;
struct FuzzFinding;
struct ProfileComparison;
struct ProfileDiffTotals;

// What the rmaplab command exits with; one meaning per value.
enum class ExitCode : int {
  success = 0,
  disagreement = 1,   // the model disagrees with the kernel, or an invariant broke
  usage = 2,          // bad command line or script error
  unobservable = 3,   // the running kernel cannot be observed here
  output_failed = 4,  // the output could not be written (a full disk, a closed pipe)
  // rmaplab inspect only: each reason it cannot read a process has its own code
  // (3 is "not root").
  no_process = 5,      // the PID names no process
  kernel_thread = 6,   // the PID is a kernel thread
  process_exited = 7,  // the process exited during the read
  no_bpf = 8,          // no BTF, the BPF program refused, or built without the reader
};

namespace report {

// Totals per call site (kernel function), in order of first appearance.
std::vector<std::pair<CallSite, Counts>> call_site_totals(const std::vector<Event>& events);

// --- text table (table.cc) ---

struct TableOptions {
  bool checked = false;          // the invariant checker ran after every operation
  std::uint64_t fail_alloc = 0;  // an allocation failure was injected at this allocation
};

// One row per operation:
//   line  operation   result  anon_vma   AVC  live anon_vma  live AVC
//     12  C fork D    ok         +1/-0  +3/-0              4         9
// then a summary: operations, totals per kind, live at the end, totals per
// call site and, with options.checked and no violation, the checker's verdict.
// The widths come from the script (its operations up to stop_after_line),
// so rows are written as the run makes them.
struct TableWidths {
  std::size_t op = 0, result = 0;
};
TableWidths table_widths(const Script& script, int stop_after_line);
std::string table_header(const TableWidths& widths);
std::string table_row(const TableWidths& widths, const OpRecord& op);
std::string table_summary(const RunSummary& summary, const TableOptions& options);
// The summary's per-call-site lines (sites named as the kernel names them).
std::string call_site_lines(const std::vector<std::pair<std::string_view, Counts>>& sites);

// A kept run's summary (call sites from its events), and its whole table.
RunSummary summarize(const RunReport& report);
std::string run_table(const RunReport& report, const TableOptions& options);
// Only the rows (no summary): for a run cut short by a violation.
std::string run_rows(const RunReport& report);

// "FILE:LINE: invariant I6 num_active_vmas broken after 'P fork C': MESSAGE",
// or for a guard, "FILE:LINE: rule 'num_active_vmas underflow' broken during
// 'P exit': MESSAGE".
std::string violation_sentence(std::string_view file, const Violation& v);

// --- JSON (json.cc) ---

// The workload language's --json document. Per operation: "line", "op",
// "result", the four counts, "events", "call_sites" (sites with any event),
// "live", "layout" (RunOptions::layouts), "locks" (acquisitions per lock)
// and, if computed, "metrics". At top level: "model" (the profile the
// model ran under), "ops", "call_sites", "live" and "metrics" at the end,
// and "violation" if a rule broke.
nlohmann::json op_json(const OpRecord& op);
nlohmann::json summary_json(const RunSummary& summary);  // the top level without "ops"
nlohmann::json metrics_json(const Metrics& metrics);
nlohmann::json violation_json(const Violation& violation);
nlohmann::json run_json(const RunReport& report);  // a kept run, whole

// --- Graphviz (dot.cc) ---

// The modelled state of `sim` (after the operations it has applied) as a DOT
// digraph: processes as clusters of VMAs, anon_vmas with their counters, one
// edge per AVC (labelled with its position on the VMA's chain, the active
// anon_vma's bold) and dashed edges from each anon_vma to its parent.
std::string state_dot(const State& state);

// Renders `dot` to an SVG file with Graphviz's dot. Errors: dot is not
// installed, cannot run, or fails.
Status render_svg(const std::string& dot, const std::string& path);

// --- rmap walk (walk.cc) ---

struct WalkCandidate {
  enum class Mapping { maps, other_folio, zero_page, nothing };
  std::string process;
  std::uint32_t vma_start = 0, vma_end = 0;  // arena pages [start, end)
  std::uint32_t page = 0;                    // where the folio would be mapped
  Mapping mapping = Mapping::nothing;
  std::uint32_t other_folio = 0;  // other_folio: the folio there instead
};

struct Walk {
  std::string file;
  int line = 0;         // the state is the one after this line (0: start)
  std::string process;  // the folio as found: PROCESS maps it at PAGE
  std::uint32_t page = 0;
  std::uint32_t folio = 0;     // the folio's id
  std::uint64_t index = 0;     // folio->index (its page offset)
  std::uint32_t anon_vma = 0;  // id of the anon_vma folio->mapping points to
  // Other designs (src/model/anon_rmap.h): cow-context's folio points at a
  // context; anon-vma-lazy's, before an anon_vma, at its VMA (lazy).
  std::uint32_t cow_context = 0;
  bool lazy = false;
  std::uint32_t mapcount = 0;
  bool exclusive = false;                 // PG_anon_exclusive
  std::vector<WalkCandidate> candidates;  // the interval tree's order
  // The locks the kernel's walk takes: the root rwsem for read once, and
  // page_vma_mapped_walk's PTE lock per candidate whose page table exists.
  std::uint32_t pte_locks = 0;
  std::string model{model::kDefaultProfile};  // the profile the state was built under
};

// The folio `process` maps at `page` in the current state of `sim`, and the
// rmap walk from it (model::rmap_walk_anon). Errors (one sentence each): no such
// process, not alive at this point, page outside the arena, nothing mapped
// there, the zero page, a shared memory (shmem) page.
Result<Walk> walk_page(const State& state, std::string_view process, std::uint32_t page);

std::string walk_text(const Walk& walk);
nlohmann::json walk_json(const Walk& walk);

// --- model versus kernel (compare.cc) ---

// One row per operation, the model's and the kernel's result and counts side
// by side and what differs, then the verdict with the first difference of
// each kind (verify.h).
std::string comparison_table(const Script& script, const Comparison& c);

// --- the reporter ---

enum class Format { text, json };

// Writes results to `out` and messages (errors, violations) to
// `err`, in the chosen form. Output is buffered and flushed before every
// message, so the two keep their order on one terminal; ok() tells whether
// everything written reached `out`.
class Reporter {
 public:
  Reporter(Format format, std::ostream& out, std::ostream& err);

  Format format() const { return format_; }

  // A kept model run. With a violation: the rows so far, then the sentence on err.
  void run(const Script& script, const RunReport& report, const TableOptions& options);
  // Text that has one form only (a DOT picture, help): as it is, on out.
  void print(std::string_view text);
  void walk(const Walk& walk);
  // A kernel run: JSON is kernel::to_json; text is the same table as a model run.
  void kernel_run(const Script& script, const kernel::Run& run);
  // Model versus kernel: the side-by-side table, or to_json(Comparison)
  // with "kernel" (the release) and "model".
  void comparison(const Script& script, const Comparison& c, const kernel::Run& run);
  // An error or a note: one line on err.
  void message(std::string_view text);

  // Flushes out; false if any write to it failed (a full disk, a closed pipe).
  bool ok();

  // (error.cc, fail_each.cc, fuzz_status.cc)
  // An error that ends the command: the sentence on err and, in JSON form,
  // error_json(sentence) on out, so a --json reader always gets a document.
  void error(std::string_view sentence);
  // run --fail-each: fail_each_text() or fail_each_json().
  void fail_each(const Script& script, const FailEachReport& r);
  // A redraw of a status block (StatusBlock): as it is, on err, no newline
  // added.
  void status(std::string_view text);

 private:
  friend class RunStream;
  void write(std::ostream& os, std::string_view text);

  Format format_;
  std::ostream& out_;
  std::ostream& err_;
};

// A model run written as the driver makes it: the table's rows, or the JSON
// document's operations, one at a time, so nothing of a long run is kept.
class RunStream {
 public:
  RunStream(Reporter& reporter, const Script& script, std::string_view profile, int stop_after_line,
            const TableOptions& options);
  void op(const OpRecord& rec);
  // The end: the summary (text), or the rest of the document (JSON); a
  // violation's sentence on err.
  void finish(const RunSummary& summary);
  // A script error part way: the document is closed with "error"; the
  // sentence goes to err.
  void fail(const Error& error);

 private:
  void close_ops();

  Reporter& reporter_;
  const Script& script_;
  TableOptions options_;
  TableWidths widths_;
  bool first_ = true;
};

// "verify: 12,000 of 100,000 operations" (or WHAT: ...) on a terminal,
// redrawn in place at most ten times a second and erased when done; nothing
// when `fd` is not a terminal (a pipe, a file). The one progress line of
// long work (verify, run).
class ProgressLine {
 public:
  ProgressLine(int fd, std::size_t total, std::string_view what = "verify");
  ~ProgressLine();  // erases the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(std::size_t done);
  // Erases the line now, so other output can start a line of its own; the
  // next update() draws it again.
  void clear();
  bool active() const { return active_; }

 private:
  int fd_;
  std::size_t total_;
  std::string what_;
  bool active_;
  bool drawn_ = false;
  std::int64_t last_ns_ = 0;
};

// --- the command line's other outputs (error.cc, fail_each.cc,
// fuzz_status.cc, fuzz_summary.cc, svg_text.cc, profile_table.cc, diff_table.cc) ---

// {"error": {"message": SENTENCE, "file": F, "line": L, "column": C}}; the
// location is read from a sentence that starts "FILE:LINE:COLUMN: " (a
// script error) or "FILE:LINE: ", and is null where there is none.
nlohmann::json error_json(std::string_view sentence);

// run --fail-each: a line per allocation point and the verdict:
//   FILE: 9 allocation points, one run each with that allocation failing
//   alloc  line  operation                 result  6.18 returns  after
//       1     3  P write 0 2               OOM     OOM           ok
//   all 9 passed: ...
std::string fail_each_text(std::string_view file, const FailEachReport& r);
// {"allocations", "passed", "points": [{"k", "line", "op", "result",
// "expected", "skipped", "killed", "problem"}]}
nlohmann::json fail_each_json(const FailEachReport& r);

// rmaplab fuzz's status: the headline (time, scripts, operations, rates),
// the verbs, then the model paths (never-taken ones marked NEVER), every
// line at most `width` columns (at least 40 are assumed).
std::vector<std::string> fuzz_status_lines(const FuzzStats& s, std::size_t width);

// A block of lines redrawn in place on a terminal: each redraw moves the
// cursor up over exactly the lines the previous one drew.
class StatusBlock {
 public:
  // The bytes that replace the block drawn last with `lines`.
  std::string redraw(const std::vector<std::string>& lines);
  // The bytes that erase the block drawn last ("" if none).
  std::string clear();
  int drawn() const { return drawn_; }

 private:
  int drawn_ = 0;
};

// What rmaplab fuzz prints, in order: the headline as it starts, then at the
// end the totals with "no failure found" (`stopped`: "stopped early; ") or
// the finding: the failure, how to regenerate, the shrunk script and the
// command that replays it. `written`: whether the shrunk script reached
// `file`. `profile` and `against` are the names given ("" if none).
struct FuzzRun {
  std::uint64_t seed = 0;
  int jobs = 1;
  std::string profile, against;
  bool kernel = false;
  double seconds = 0;  // 0: no limit
};
std::string fuzz_header(const FuzzRun& run);
std::string fuzz_totals(const FuzzStats& s, bool stopped);
std::string fuzz_finding_text(const FuzzRun& run, const FuzzStats& s, const FuzzFinding& x,
                              std::string_view file, bool written);

// The SVG of `dot` (render_svg) as text, for standard output (show --svg -).
Result<std::string> svg_text(const std::string& dot);

// rmaplab profiles: NAME  KERNELS [(default)] and the description indented
// below; JSON: [{"name", "kernels", "description", "default", "claims"}] (claims:
// "6.12-6.12", the releases --profile auto picks it for, or null).
std::string profiles_text();
nlohmann::json profiles_json();

// rmaplab diff over several scripts: a line per script (for at most 50),
// then the totals (rmaplab/diff.h profile_totals_text); JSON: the totals
// with "comparisons", one to_json(ProfileComparison) each.
std::string diff_list_text(const std::vector<ProfileComparison>& comparisons,
                           const ProfileDiffTotals& totals);
nlohmann::json diff_list_json(const std::vector<ProfileComparison>& comparisons,
                              const ProfileDiffTotals& totals);

}  // namespace report
}  // namespace rmaplab
