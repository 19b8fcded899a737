// The state after each operation, as changes the page replays
// (state_changes.h).
#include "html/state_changes.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "html/json_text.h"

namespace rmaplab::html {

namespace {

constexpr std::uint64_t kPageKeyShift = 24;  // kArenaPages is 2^24

}  // namespace

void StateChanges::diff(char kind, Objects& before, Objects& after, std::string& out, bool& first) {
  struct Change {
    std::uint64_t key;
    const std::string* now;
  };
  std::vector<Change> changes;
  for (const auto& [key, value] : after) {
    const auto it = before.find(key);
    if (it == before.end() || it->second != value) changes.push_back({key, &value});
  }
  for (const auto& gone : before)
    if (!after.contains(gone.first)) changes.push_back({gone.first, nullptr});
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.key < b.key; });
  for (const Change& c : changes) {
    out += first ? "[" : ",[";
    first = false;
    out += fmt::format("\"{}\",{},{}]", kind, c.key, c.now ? *c.now : "null");
  }
  before.swap(after);
}

StateShape StateChanges::next(const State& state, std::string& out) {
  StateShape shape;
  Objects procs, vmas, anon_vmas, pages;
  std::unordered_set<std::uint32_t> folios_walked;
  for (const int slot : state.processes()) {
    procs.emplace(slot, json_string(state.script().procs[slot]));
    for (const VmaView& v : state.vmas(slot)) {
      const std::vector<PageView> present = state.pages(slot, v.start, v.end);
      std::string value = fmt::format("[{},{},{},{},{},{},{},[", slot, v.start, v.end,
                                      json_string(v.prot), v.pgoff, v.shmem, v.anon_vma);
      for (std::size_t i = 0; i < v.chain.size(); ++i)
        value += fmt::format("{}{}", i ? "," : "", v.chain[i]);
      value += fmt::format("],{}]", present.size());
      vmas.emplace(v.id, std::move(value));
      if (v.anon_vma) {
        ++shape.vmas_with_anon_vma;
        shape.chain_total += v.chain.size();
        shape.chain_max = std::max<std::uint32_t>(shape.chain_max, v.chain.size());
      }
      for (const PageView& p : present) {
        if (folios_)
          pages.emplace((std::uint64_t(slot) << kPageKeyShift) | p.page,
                        fmt::format("[{},{},{},{},{},{}]", p.folio, p.mapcount, p.anon_vma,
                                    int(p.zero_page), int(p.shmem), int(p.exclusive)));
        // Each anonymous folio's walk once, from the first page that maps it.
        if (p.zero_page || p.shmem || !p.anon_vma || p.anon_vma_freed) continue;
        if (!folios_walked.insert(p.folio).second) continue;
        if (const auto walk = state.rmap_walk(slot, p.page)) {
          const auto maps = static_cast<std::uint64_t>(std::count_if(
              walk->begin(), walk->end(), [](const RmapCandidate& c) { return c.maps; }));
          shape.walk_candidates += walk->size();
          shape.walk_mappings += maps;
          shape.walk_max = std::max<std::uint32_t>(shape.walk_max, walk->size());
        }
      }
    }
  }
  for (const AnonVmaView& a : state.anon_vmas())
    anon_vmas.emplace(a.id, fmt::format("[{},{},{},{},{}]", a.root, a.parent, a.refcount,
                                        a.num_children, a.num_active_vmas));
  out += '[';
  bool first = true;
  diff('p', procs_, procs, out, first);
  diff('v', vmas_, vmas, out, first);
  diff('a', anon_vmas_, anon_vmas, out, first);
  diff('f', pages_, pages, out, first);
  out += ']';
  return shape;
}

}  // namespace rmaplab::html
