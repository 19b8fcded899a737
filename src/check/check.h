// The invariant checker: one function that checks the whole modelled state
// and, when something is broken, names the rule and the objects.
//
// Rules (field guide §1.5 numbering where it has one):
//   I1  vma->anon_vma is null iff the VMA's chain is empty
//   I2  the chain holds exactly one AVC for vma->anon_vma, and no anon_vma twice
//   I3  every AVC is on its VMA's same_vma list and in its anon_vma's tree,
//       keyed by the VMA's current page-offset range; every tree is valid
//   I4  all anon_vmas on one chain share one root; the set is closed under parent
//   I5  chain order: each anon_vma before its parent, the root last
//   I6  num_active_vmas = the VMAs whose anon_vma it is
//   I7  num_children = live children (tree non-empty) + the root's self link
//   I8  refcount = [tree non-empty] + (root: allocated non-root family members)
//   I9  parent/root links form a forest: roots are their own root and parent,
//       a non-root's parent is alive and in the same family
//   I10 every mapped anonymous folio's anon_vma is alive, and the rmap walk
//       from it finds every (process, page) that maps it
//   I11 VMAs of one process sharing an anon_vma have identical chains
//   I12 nothing is left: once every process has exited, no anon_vma, AVC or
//       folio remains
//   and the bookkeeping the rules rest on: folio mapcounts equal the PTEs
//   that map them; VMAs of a process do not overlap.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rmaplab {
namespace model {
class Machine;
}

struct Finding {
  std::string rule;     // "I6 num_active_vmas"
  std::string message;  // names the objects: "anon_vma #3 has num_active_vmas 2, but 1 VMA uses it (P vma#5 [0,4))"
};

// Checks the whole state. Returns the first broken rule, or nothing.
// `process_names[slot]` names processes in messages.
std::optional<Finding> check_invariants(const model::Machine& machine,
                                        const std::vector<std::string>& process_names);

}  // namespace rmaplab
