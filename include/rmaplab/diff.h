// Rule sets side by side: one script run under two profiles (src/profile),
// compared operation by operation. Behind `rmaplab diff`.
//
// compare_profiles() steps two models in lockstep and records, for every
// operation, what differs:
//   result        the system call's result (or a script error on one side)
//   event counts  the allocations and frees of anon_vmas and AVCs, counted
//                 by kind, alloc/free and call site
//   event order   the same events, in another order
//   locks         lock acquisitions, per lock (src/model/env.h)
//   objects       the state after the operation: each process's VMAs with
//                 their anon_vma and chain, each reachable anon_vma with its
//                 parent, root and counters, each mapped page with its
//                 folio's anon_vma and mapcount, and the live totals.
//                 Objects are named in order of first appearance, not by id,
//                 so an object allocated and freed again on one side does not
//                 rename the others.
// Every kind but event order and locks is "semantic": a program, or the
// kmem tracepoints' per-operation counts, can tell the two apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/event.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace model {
struct Profile;
}

enum class ProfileDiffKind { result, event_counts, event_order, locks, objects };
inline constexpr std::array<ProfileDiffKind, 5> kProfileDiffKinds = {
    ProfileDiffKind::result, ProfileDiffKind::event_counts, ProfileDiffKind::event_order,
    ProfileDiffKind::locks, ProfileDiffKind::objects};
std::string_view to_string(ProfileDiffKind kind);  // "result", "event counts", ...
bool is_semantic(ProfileDiffKind kind);

// One operation under both profiles.
struct ProfileOpDiff {
  int line = 0;
  std::string op;  // the operation's text
  Verb verb{};
  std::string result_a, result_b;  // "ok", "ENOMEM", "OOM", "script error: ..."
  // In order; ids are 0 (each profile numbers its objects its own way).
  std::vector<Event> events_a, events_b;
  LockCounts locks_a, locks_b;           // acquisitions per lock
  std::vector<ProfileDiffKind> differs;  // the kinds that differ here
  std::string objects_a, objects_b;      // objects: the first line that differs
};

struct ProfileDifference {
  ProfileDiffKind kind;
  int line = 0;
  std::string op;
  std::string message;  // "locks: anon_vma_root_write 1 -> 2"
};

struct ProfileComparison {
  std::string file;                      // the script
  std::string a, b;                      // the profiles' names
  std::vector<ProfileOpDiff> ops;        // every operation run (both sides stop at a script error)
  std::vector<ProfileDifference> first;  // the first difference of each kind, in kind order
  std::size_t differences = 0;           // operations with any difference
  ProfileDifference divergence;          // the first difference of all (differences > 0)

  bool same() const { return differences == 0; }
  bool differs_in(ProfileDiffKind kind) const;
  bool semantic() const;  // differs in a semantic kind
};

// Runs `script` under `a` and under `b`. A script error at the same
// operation on both sides is the script's (returned as an Error); on one
// side only, it is a result difference and the comparison stops there.
Result<ProfileComparison> compare_profiles(const Script& script, const model::Profile& a,
                                           const model::Profile& b);

// Many comparisons of one pair of profiles, summed: how many scripts and
// operations differ in each kind, and per operation type (verb) the lock
// acquisitions under each profile and the differences.
struct ProfileDiffTotals {
  std::string a, b;
  std::size_t scripts = 0, operations = 0;
  std::array<std::size_t, kProfileDiffKinds.size()> scripts_differing{};
  std::array<std::size_t, kProfileDiffKinds.size()> ops_differing{};
  struct PerVerb {
    std::size_t ops = 0;
    std::array<std::size_t, kProfileDiffKinds.size()> differing{};
    LockCounts locks_a, locks_b;
    std::int64_t anon_vma_events_a = 0, anon_vma_events_b = 0;  // allocations + frees
    std::int64_t avc_events_a = 0, avc_events_b = 0;
  };
  std::map<std::string, PerVerb> per_verb;    // "fork", "write", ...
  std::vector<std::string> semantic_scripts;  // files that differ semantically

  void add(const ProfileComparison& c);
};

// Text: the operations that differ, one row each (all of them with
// `all_ops`), then the first divergence and a summary.
std::string profile_diff_text(const ProfileComparison& c, bool all_ops = false);
// An event as diff shows it: "+anon_vma anon_vma_fork", "-avc unlink_anon_vmas".
std::string profile_diff_event(const Event& e);
nlohmann::json to_json(const ProfileComparison& c);

// Text and JSON of totals over many scripts.
std::string profile_totals_text(const ProfileDiffTotals& t);
nlohmann::json to_json(const ProfileDiffTotals& t);

}  // namespace rmaplab
