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
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/kernel.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"

namespace rmaplab {

enum class DiffKind { result, counts, events, identity, layout, pages };
inline constexpr std::array<DiffKind, 6> kDiffKinds = {DiffKind::result, DiffKind::counts,
                                                       DiffKind::events, DiffKind::identity,
                                                       DiffKind::layout, DiffKind::pages};
std::string_view to_string(DiffKind kind);

struct Difference {
  DiffKind kind;
  int line = 0;
  std::string op;       // the operation's text
  std::string message;  // what differs: "model frees anon_vma #3, kernel frees the object the model calls #2"
};

// One operation side by side.
struct OpComparison {
  int line = 0;
  std::string op;
  std::string model_result, kernel_result;
  std::array<int, 4> model{}, kernel{};  // anon_vma alloc, free, AVC alloc, free
  std::vector<DiffKind> differs;         // kinds that differ at this operation
};

struct Comparison {
  std::vector<OpComparison> ops;
  std::vector<Difference> first;  // the first difference of each kind, by kind order
  std::size_t differences = 0;    // operations with any difference
  bool compared_snapshots = false;
  bool agree() const { return differences == 0; }
};

Comparison compare_runs(const Script& script, const RunReport& model, const kernel::Run& kernel);

nlohmann::json to_json(const Comparison& c);

}  // namespace rmaplab
