// Finding model bugs: the fuzzer, the shrinker and allocation-failure sweeps.
//
//   test_script   one script as the fuzzer runs it: the model with the
//                 invariant checker after every operation and, with
//                 TestOptions::kernel, the running kernel too, compared with
//                 the model operation by operation (verify.h); with
//                 TestOptions::reference, the model under another rule set
//                 too, compared semantically (diff.h): differential fuzzing of
//                 a rule set against one that agrees with the kernel
//   fuzz          scripts generated (gen.h) from consecutive seeds, each
//                 through test_script, until time runs out or one fails;
//                 that one is then shrunk. With jobs > 1 the scripts are
//                 shared out to forked worker processes.
//   shrink        delta debugging over processes and operation lines: the
//                 smallest script found that still fails the same way
//   fail_each     one run per allocation point of a script, each with that
//                 anon_vma/AVC allocation failing: the failing operation must
//                 return what 6.18 returns, the checker must pass after every
//                 operation, and exiting every process must leave nothing.
//                 fuzz() also runs one such point for every fourth script.
//
// A failure is "the same" when its kind and rule (or difference kind) match:
// where it shows and what the message says may change as a script shrinks.
//
// Threads: none. fuzz() with jobs > 1 forks; call it from a process that
// can fork (no other threads holding locks).
#pragma once

#include <array>
#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/gen.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace model {
struct Profile;
}

// A script that fails: an invariant broken in the model, the model and the
// kernel disagreeing, or an allocation failure handled wrongly.
struct Failure {
  enum class Kind : std::uint8_t { violation, disagreement, alloc_failure, divergence };
  Kind kind = Kind::violation;
  // The rule ("I6 num_active_vmas"), the difference ("events"; for
  // divergence diff.h's kind, "event counts"), or for alloc_failure the
  // rule or "result" (the failing operation's result).
  std::string what;
  int line = 0;                  // the operation after which it showed
  std::string op;                // that operation's text
  std::string message;           // one sentence naming the objects
  std::uint64_t fail_alloc = 0;  // alloc_failure: the allocation that failed

  bool same_as(const Failure& o) const { return kind == o.kind && what == o.what; }
};

// "invariant I6 num_active_vmas broken at line 12 (P fork C): MESSAGE",
// "the kernel disagrees (events) at line 12 (P fork C): MESSAGE",
// "the reference rules disagree (event counts) at line 12 (P fork C): MESSAGE"
// or "with allocation 7 failing: MESSAGE".
std::string describe(const Failure& f);

struct TestOptions {
  bool kernel = false;                      // also run on the kernel and compare
  const model::Profile* profile = nullptr;  // the model's rules; null: linux-6.18
  // Also run the script under these rules; any semantic difference (result,
  // event counts, objects) from `profile` is a failure.
  const model::Profile* reference = nullptr;
};

// What the fuzzer counts while it runs.
inline constexpr int kVerbs = 10;       // script.h's Verb values
inline constexpr int kCoverPaths = 13;  // the model's coverage points (src/model/env.h Path)
struct FuzzStats {
  std::uint64_t scripts = 0, operations = 0;
  double seconds = 0;
  std::array<std::uint64_t, kVerbs> verbs{};
  std::array<std::uint64_t, kCoverPaths> paths{};
  FuzzStats& operator+=(const FuzzStats& o);
};
// The coverage points' names, e.g. "fork reused an anon_vma", in stats order.
std::string_view cover_path_name(int path);

// Runs `script` (see above). nullopt: it passes. An Error is a script error,
// or (kernel) a kernel that cannot be observed. `stats`, if given, gets the
// run's operations, verbs and coverage added.
Result<std::optional<Failure>> test_script(const Script& script, const TestOptions& options,
                                           FuzzStats* stats = nullptr);

// --- shrinking ---

struct ShrinkStats {
  int candidates = 0;  // scripts tried
  int accepted = 0;    // of which still failed
};

// The smallest script found, by removing whole processes (a process's spawn
// or fork line, all its lines, and all its descendants), turning a fork into
// a spawn of the child, and removing chunks of operation lines, for which
// `still_fails` holds. Candidates that do not
// parse are never passed to it. `script` must satisfy it.
Script shrink(const Script& script, const std::function<bool(const Script&)>& still_fails,
              ShrinkStats* stats = nullptr);

// shrink() with "test_script fails the same way as `failure`" (for
// alloc_failure: "some allocation point of fail_each() fails that way").
Script shrink_failure(const Script& script, const Failure& failure, const TestOptions& options,
                      ShrinkStats* stats = nullptr);

// The script as text: one operation per line, in canonical form.
std::string script_text(const Script& script);

// --- fuzzing ---

struct FuzzOptions {
  std::uint64_t seed = 1;         // script i is generated from seed + i
  double seconds = 60;            // stop after this long; 0: no time limit
  std::uint64_t max_scripts = 0;  // stop after this many scripts; 0: no limit
  bool kernel = false;
  int jobs = 1;  // worker processes (1: run in this process)
  const model::Profile* profile = nullptr;
  const model::Profile* reference = nullptr;  // TestOptions::reference
  // Called about once a second with the totals so far, and once at the end.
  std::function<void(const FuzzStats&)> progress;
  // Set (by a signal handler) to stop early; the totals so far are returned.
  const volatile std::sig_atomic_t* stop = nullptr;
};

struct FuzzFinding {
  std::uint64_t seed = 0;
  GenOptions gen;      // generate_script(gen) is the failing script
  std::string script;  // its text
  Failure failure;
  std::string shrunk;      // the shrunk script, with a comment saying where it came from
  int shrunk_ops = 0;      // its operation lines
  Failure shrunk_failure;  // how it fails (lines refer to `shrunk`)
  ShrinkStats shrink;
};

struct FuzzResult {
  FuzzStats stats;
  std::optional<FuzzFinding> finding;
};

// The generator options fuzz() uses for a seed: its process and operation
// counts vary with the seed (2-8 processes, 20-120 operations).
GenOptions fuzz_shape(std::uint64_t seed);

// Errors: the kernel cannot be observed (kernel), a generated script is
// invalid (a generator bug; the message names the seed), a worker failed.
Result<FuzzResult> fuzz(const FuzzOptions& options);

// --- allocation-failure sweeps ---

struct FailPoint {
  std::uint64_t k = 0;   // the allocation that failed (1-based)
  int line = 0;          // the operation it failed in
  std::string op;        // that operation
  std::string result;    // what the operation returned
  std::string expected;  // what 6.18 returns there ("ENOMEM", "OOM", "ENOMEM or ok")
  int skipped = 0;       // later operations of processes that do not exist (a failed fork's child)
  int killed = 0;        // processes killed by an access they could no longer make
  std::optional<std::string> problem;  // why this point fails, if it does
  std::string rule;                    // with a problem: the invariant's rule, or "result"
};

struct FailEachReport {
  std::uint64_t allocations = 0;  // in a run without failure
  std::vector<FailPoint> points;  // one per allocation, k = 1..allocations
  bool passed() const;
};

// Runs `script` once per allocation point (see above). After the injected
// failure, an operation of a process that no longer exists (its fork
// failed) is skipped, and an access the process can no longer make kills it
// (the process exits, as the real one would on SIGSEGV). Once the script is
// done every remaining process exits and the checker must find nothing left
// (I12). An Error is a script error in the run without failure.
Result<FailEachReport> fail_each(const Script& script, const model::Profile* profile = nullptr);

// One point of fail_each(): `script` with allocation k failing.
FailPoint fail_point(const Script& script, std::uint64_t k,
                     const model::Profile* profile = nullptr);

}  // namespace rmaplab
