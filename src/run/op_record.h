// How the driver turns what the model did during one operation into an
// OpRecord (include/rmaplab/run.h). Internal to src/run.
#pragma once

#include <vector>

#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/run.h"

namespace rmaplab::run_internal {

// Notes the Env's counters when an operation starts; finish() fills the
// record with what changed since: events, counts, live totals, locks.
class OpWatch {
 public:
  explicit OpWatch(const model::Env& env);
  // Also appends to `site_order` each call site seen for the first time.
  void finish(OpRecord& rec, std::vector<CallSite>& site_order) const;

 private:
  const model::Env& env_;
  std::size_t first_event_, first_reuse_;
  LockCounts locks_;
  model::Env::SiteCounts sites_;
};

// The VMAs options.layouts asks for after `op` (see Layouts).
void fill_layout(OpRecord& rec, const model::Machine& m, const Script& script, const Op& op,
                 const RunOptions& options);

// See Metrics (run.h): the whole state's.
Metrics metrics_of(const model::Machine& m);

}  // namespace rmaplab::run_internal
