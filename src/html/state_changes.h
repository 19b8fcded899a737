// What one operation changed in the modelled state, as the page replays it.
// Internal to src/html.
//
// StateChanges remembers what it last saw of the state (each object's
// encoded value, by kind and stable id) and, given the State after the next
// operation, returns the objects that appeared, changed or went, each as
// [kind, key, after] with null for "gone" (the page steps back by keeping,
// as it steps forward, the value each change replaced). Kinds: "p" process
// (key slot, value its name), "v" VMA (key VMA id), "a" anon_vma (key id),
// "f" present page (key slot * 2^24 + page; only with folios).
//
// Cost follows the operation: it reads the VMAs of the processes the
// operation acted on (its own; a fork's child), their present pages only
// where the operation could have changed them (its range and a page either
// side, both ranges of an mremap, everything for fork and exit), and the
// rmap walks of the folios a read or write touched. The one whole-state
// read is the live anon_vmas' counters (plain integers, compared, not
// formatted): any anon_vma of the family can change. Memory follows the
// live state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "rmaplab/state.h"

namespace rmaplab::html {

// Shape numbers of the state after an operation, for the plots.
struct StateShape {
  std::uint64_t vmas_with_anon_vma = 0;
  std::uint64_t chain_total = 0;  // AVCs on those VMAs' chains
  std::uint32_t chain_max = 0;
  // The rmap walks of the anonymous folios the operation read or wrote
  // (once each): the VMAs visited, and of them the ones that map it.
  std::uint64_t walk_candidates = 0, walk_mappings = 0;
  std::uint32_t walk_max = 0;
};

class StateChanges {
 public:
  explicit StateChanges(bool folios) : folios_(folios) {}

  // Appends the JSON array of what `op` (just applied) changed to `out`,
  // and returns the state's shape.
  StateShape next(const State& state, const Op& op, std::string& out);

  // Every object of the state now, by (kind, key), encoded as next() encodes
  // it: read afresh, whole, for checking that next()'s changes replay to it.
  std::map<std::pair<char, std::uint64_t>, std::string> everything(const State& state) const;

 private:
  struct Vma {
    std::string value;
    std::uint32_t start = 0, end = 0;
    std::size_t present = 0;
    std::uint32_t chain = 0;  // length; 0: no anon_vma
  };
  struct Change {
    char kind;
    std::uint64_t key;
    std::string now;  // "null": gone
  };
  void process(const State& state, const Op& op, int slot, std::vector<Change>& changes);
  void count_chain(std::uint32_t chain, int sign);

  bool folios_;
  std::unordered_map<int, std::string> procs_;
  std::unordered_map<int, std::vector<std::uint32_t>> vma_ids_;  // by slot
  std::unordered_map<std::uint32_t, Vma> vmas_;
  std::unordered_map<std::uint32_t, AnonVmaView> anon_vmas_;
  std::map<std::uint64_t, std::string> pages_;  // ordered: a process's range is a key range
  // For the shape: chain lengths of the VMAs that have an anon_vma.
  std::map<std::uint32_t, std::uint64_t> chain_lengths_;
  std::uint64_t vmas_with_anon_vma_ = 0, chain_total_ = 0;
};

}  // namespace rmaplab::html
