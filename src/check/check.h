// The invariant checker: one function that checks the whole modelled state
// and, when something is broken, names the rule and the objects.
//
// Rules, in the order they are checked. Finding::rule is the id and a short
// name ("I6 num_active_vmas"); I1-I8, I10 and I11 are the field guide's §1.5
// numbering, I9 and I12 are this checker's own (the guide's I9, "an empty
// tree has no non-empty descendant", follows from I3 and I4; its I12, "a
// singular chain holds a root", from I4 and I9).
//   L1 locks_released  between operations no anon_vma root rwsem is held
//                      (every path that takes one drops it)
//   I12 leak           once every process has exited, no anon_vma, AVC, VMA or
//                      folio is left (checked first then: a leftover object
//                      is the finding, not its stale counters)
//   B1 vma_layout      each mm's VMAs are keyed by vm_start, non-empty, do not
//                      overlap and point back to their mm; every allocated
//                      VMA is in an mm
//   I9 forest          roots are their own root and parent; a non-root's root
//                      is a live root, its parent is alive and in the same
//                      family, and following parents reaches the root
//   I1 anon_vma_vs_chain  vma->anon_vma is null iff the VMA's chain is empty
//   I2 chain_entries   the chain holds exactly one AVC for vma->anon_vma, and
//                      no anon_vma twice
//   I3 avc_links       every AVC on a chain names that VMA and a live
//                      anon_vma, and is in that anon_vma's tree; every tree is
//                      valid under its VMAs' current page-offset ranges and
//                      holds only listed AVCs; the lists hold every live AVC
//   I4 chain_family    all anon_vmas on one chain share one root; the set is
//                      closed under parent
//   I5 chain_order     each anon_vma before its parent, the root last
//   I11 same_anon_vma_same_chain  VMAs of one process sharing an anon_vma
//                      carry the same set of anon_vmas
//   I6 num_active_vmas = the VMAs whose anon_vma it is
//   I7 num_children    = live children (tree non-empty) + a root's self link
//                      (its tree non-empty)
//   I8 refcount        = [tree non-empty] + (root: allocated non-root members)
//   B3 pte_folio       a PTE's folio suits its VMA: in a private VMA the zero
//                      page or an anonymous folio, and then the VMA has an
//                      anon_vma; in a shared one, its object's page at that
//                      offset
//   I10 folio_rmap     every mapped anonymous folio's anon_vma is alive, and
//                      the rmap walk from it finds every (process, page) that
//                      maps it: the VMA has an AVC for it and the folio's
//                      index is the VMA's pgoff for that page
//   B2 mapcount        folio mapcounts equal the PTEs that map them (the zero
//                      page excluded)
//
// Cost: linear in VMAs x chain length, anon_vmas, tree nodes and present
// PTEs (hash lookups aside); never quadratic in the number of anon_vmas.
//
// Those are the anon_vma design's rules. Every design (src/model/anon_rmap.h)
// keeps three facts, which I10, I12 and B2 state in anon_vma terms and
// check_shared.cc states for any design:
//   S1 rmap_complete   the design's rmap walk of every mapped anonymous folio
//                      finds every (process, page) that maps it
//   S2 owner_alive     nothing a mapped folio points at has been freed
//   S3 leak            once every process has exited, nothing is left: no
//                      anon_vma, AVC, design object, VMA or folio
// (with L1 and B2). anon-vma-lazy is checked by both: the anon_vma rules
// (B3 and I10 skip its lazy folios, which point at no anon_vma) and S1-S3.
// cow-context by S1-S3 and its own (check_cow_context.cc):
//   C1 refcnt          each context's refcnt = its mm (while alive) + its
//                      child contexts + the folios pointing at it; no context
//                      is allocated that nothing reaches
//   C2 context_tree    each live mm has its context; a context is on its
//                      parent's list of children and its children name it
// Designs other than anon_vma have no incremental form: check_touched runs
// the full check for them (cost: every PTE and one walk per folio).
//
// check_touched evaluates the same rules restricted to what the last
// operation touched (model::Env::touched(), see src/model/touched.h), on a
// state that passed before it. That keeps every rule because an instance of
// a rule is a fact about a few objects, and an object no operation touched
// cannot have changed: if every object of an instance is untouched, it holds
// as it held before. So it checks
//   L1, and I12 from the Env's live counts (O(1) while processes remain);
//   B1 for each touched VMA and its two neighbours, and globally the VMA
//      count against the address spaces (O(processes));
//   I1, I2, I3 (lists), I4, I5 for each touched VMA's chain, and I11 against
//      an untouched VMA sharing its anon_vma in its process (those agreed
//      before) or else against every touched one;
//   the family (by root) of each touched anon_vma: I9 over its members
//      (O(live anon_vmas) for the scan; the parent walk once per member),
//      I7 and I8 recounted from the members; where AVCs were erased from a
//      tree, every member's tree (I3), the chains of every VMA found through
//      the root's tree (each family VMA has the root on its chain) and I3,
//      I6 recounted from them: O(the family's AVCs); otherwise each tree
//      with re-filed AVCs is validated (O(tree)), each inserted AVC's path
//      to its tree's root is checked (O(log^2 n)) and must be on its touched
//      VMA's chain, the chains holding an anon_vma whose parent or root
//      changed are checked (the VMAs in its tree), and I6 is checked as a
//      difference: num_active_vmas moved by as many VMAs as moved to or
//      from it (from each touched VMA's first record, made before any
//      attach or detach);
//   globally for I3, that the live AVCs are those on lists before the
//      operation plus the ones it linked minus the ones it unlinked;
//   B3 and I10 for every present PTE in a touched page range, where the
//      model records PTE changes and changes of the context PTEs are checked
//      against (a VMA's pgoff no longer linear, AVCs unlinked, pages that
//      changed VMA; a split's new VMA is checked to carry its source's
//      context instead of rechecking its pages);
//   B2 and I10 for each touched folio: its rmap walk (the folio's anon_vma's
//      tree at its index) finds exactly mapcount PTEs mapping it; a shared
//      memory folio is counted in the VMAs mapping its object (O(VMAs) for
//      an operation that touches shared memory).
// The model keeps its side of this with one touch call where it changes
// state (src/model/env.h, Env::touch*): the tests plant a corruption of each
// rule, mark what they changed, and expect the same finding from both
// checks; and over every example and generated scripts under every profile
// (with and without an injected allocation failure) both give the same
// first violation. What the full check adds is only independence from that
// assumption: it does not trust that every change was recorded, nor that
// the state was valid before; nor that a tree's insertion and rebalancing
// change only the inserted node's path and the children of its nodes.
// When check_touched finds a broken instance it runs the full check and
// returns its finding, so it never reports what check_invariants would not,
// and reports the same first cause. The driver calls Env::reset_touched()
// before each operation; an Env never reset recorded nothing, and then
// check_touched is the full check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rmaplab {
namespace model {
class Machine;
}

struct Finding {
  std::string rule;     // "I6 num_active_vmas"
  std::string message;  // names the objects: "anon_vma #3 has num_active_vmas 2, but 1 VMA uses it
                        // (P vma#5 [0,4))"
};

// Checks the whole state. Returns the first broken rule, or nothing.
// `process_names[slot]` names processes in messages.
std::optional<Finding> check_invariants(const model::Machine& machine,
                                        const std::vector<std::string>& process_names);

// The same rules over what the operation since Env::reset_touched() touched
// (see above); the state before it must have passed. Returns what
// check_invariants returns when something touched is broken, else nothing.
std::optional<Finding> check_touched(const model::Machine& machine,
                                     const std::vector<std::string>& process_names);

// How many times, in this thread, check_touched saw a broken instance that
// the full check then did not confirm: a false alarm costs a full check, and
// a valid run should cause none (the tests hold it to 0).
std::uint64_t check_touched_false_alarms();

}  // namespace rmaplab
