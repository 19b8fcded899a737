// The checker's split by design (check.h): the rules every design keeps
// (check_shared.cc) and each design's own: the anon_vma design's in
// check.cc and check_touched.cc (anon-vma-lazy keeps them too, its lazy
// folios aside), cow-context's in check_cow_context.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "check/check.h"

namespace rmaplab {
namespace model {
class Machine;
}

// S1-S3 (and L1, B2).
std::optional<Finding> check_shared_rules(const model::Machine& m,
                                          const std::vector<std::string>& names);

// The cow-context design's: C1 refcnt, C2 context tree.
std::optional<Finding> check_cow_context(const model::Machine& m,
                                         const std::vector<std::string>& names);

}  // namespace rmaplab
