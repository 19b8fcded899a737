// Designs side by side: the same workloads run under several profiles or
// designs (src/model/anon_rmap.h), one measurement per (workload, design).
// Behind `rmaplab compare`.
//
// What is measured, each from the run itself:
//   objects   anon_vma and anon_vma_chain allocations and the most alive at
//             once; the same for each design object (cow_context); and the
//             most bytes alive at once, at the kernel's object sizes
//             (kAnonVmaBytes, kAvcBytes: /sys/kernel/slab on 6.18) and the
//             design's own (DesignObjects::bytes)
//   walks     the rmap walk of every mapped anonymous folio after each fork
//             and after the last operation: folios walked, candidates (the
//             VMAs the walks asked about), the design's steps (AVCs examined;
//             contexts visited and lookups made), mappings found against
//             the mappings there are (the folios' mapcounts), the longest walk
//   locks     acquisitions of every lock the model counts
//   invariants  the checker after every operation: the first broken rule
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/event.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace model {
struct Profile;
}

// sizeof(struct anon_vma) and sizeof(struct anon_vma_chain) as their slab
// caches hold them on 6.18 (/sys/kernel/slab/anon_vma/object_size, ...).
inline constexpr std::uint32_t kAnonVmaBytes = 96;
inline constexpr std::uint32_t kAvcBytes = 64;

struct ObjectTotals {
  std::string kind;  // "anon_vma", "avc", "cow_context"
  std::uint32_t bytes = 0;
  std::uint64_t allocated = 0;
  std::uint64_t peak = 0;  // most alive at once
};

struct WalkTotals {
  std::uint64_t walks = 0;       // folios walked
  std::uint64_t candidates = 0;  // VMAs the walks asked about (rmap_one's calls)
  std::uint64_t steps = 0;       // the design's steps (AnonRmap::walk_steps)
  std::uint64_t found = 0;       // mappings the walks found
  std::uint64_t mappings = 0;    // mappings there were (sum of mapcounts)
  std::uint64_t longest = 0;     // most candidates of one walk
  bool complete() const { return found == mappings; }
  WalkTotals& operator+=(const WalkTotals& o);
};

struct DesignRun {
  std::string profile;
  std::uint64_t ops = 0;
  std::uint64_t killed = 0;  // processes that died at an access they could not make
  std::vector<ObjectTotals> objects;  // anon_vma, avc, then the design's own
  std::uint64_t peak_bytes = 0;       // of all of them together
  WalkTotals walks;
  LockCounts locks;
  std::optional<std::string> violation;  // "I6 num_active_vmas: ..." (the first)
  std::optional<std::string> error;      // a script error that stopped the run

  const ObjectTotals* object(std::string_view kind) const;
};

struct WorkloadComparison {
  std::string workload;         // the script's file name
  std::vector<DesignRun> runs;  // one per profile, in the order given
};

// Runs `script` under each profile (with the checker after every operation).
WorkloadComparison compare_designs(const Script& script,
                                   const std::vector<const model::Profile*>& profiles);

// The sum over workloads (peaks added: the peak of each workload, summed),
// named `name`.
WorkloadComparison total_of(const std::vector<WorkloadComparison>& comparisons,
                            std::string name);

// The table: one row per measurement, one column per design.
std::string compare_text(const WorkloadComparison& c);
nlohmann::json to_json(const WorkloadComparison& c);

}  // namespace rmaplab
