// What one operation changed in the modelled state, as the page replays it.
// Internal to src/html.
//
// StateChanges remembers the state it last saw (each object's encoded
// value, by kind and stable id) and, given the State after the next
// operation, returns the objects that appeared, changed or went, each as
// [kind, key, after] with null for "gone". The page steps back by keeping,
// as it steps forward, the value each change replaced. Kinds: "p" process (key slot,
// value its name), "v" VMA (key VMA id), "a" anon_vma (key id), "f" present
// page (key slot * 2^24 + page; only with folios). Memory follows the live
// state; each call reads the whole of it once.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "rmaplab/state.h"

namespace rmaplab::html {

// Shape numbers of the state after an operation, for the plots.
struct StateShape {
  std::uint64_t vmas_with_anon_vma = 0;
  std::uint64_t chain_total = 0;  // AVCs on those VMAs' chains
  std::uint32_t chain_max = 0;
  // Over every mapped anonymous folio (once each): the VMAs its rmap walk
  // visits, and of them the ones that map it.
  std::uint64_t walk_candidates = 0, walk_mappings = 0;
  std::uint32_t walk_max = 0;
};

class StateChanges {
 public:
  explicit StateChanges(bool folios) : folios_(folios) {}

  // Appends the JSON array of changes since the last call (or since the
  // empty state) to `out`, and returns the state's shape.
  StateShape next(const State& state, std::string& out);

 private:
  using Objects = std::unordered_map<std::uint64_t, std::string>;
  static void diff(char kind, Objects& before, Objects& after, std::string& out, bool& first);

  bool folios_;
  Objects procs_, vmas_, anon_vmas_, pages_;
};

}  // namespace rmaplab::html
