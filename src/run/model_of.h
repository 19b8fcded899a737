// The modelled machine behind a Simulation, for the layers above the model
// that read it directly: the fuzzers' coverage and allocation counts, tests
// that look at the model's objects. Everything else reads a run through
// OpRecord and State (include/rmaplab/run.h, state.h).
#pragma once

#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/run.h"

namespace rmaplab {

namespace run_internal {

struct Model {
  explicit Model(const RunOptions& options);
  model::Env env;
  model::Machine machine;  // allocates through env
};

}  // namespace run_internal

inline const model::Machine& machine_of(const Simulation& sim) {
  return run_internal::model_of(sim).machine;
}

}  // namespace rmaplab
