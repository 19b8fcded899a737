// The state after each operation, as changes the page replays
// (state_changes.h).
#include "html/state_changes.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "html/json_text.h"

namespace rmaplab::html {

namespace {

constexpr std::uint64_t kPageKeyShift = 24;  // kArenaPages is 2^24

std::uint64_t page_key(int slot, std::uint64_t page) {
  return (std::uint64_t(slot) << kPageKeyShift) + page;  // page may be kArenaPages: an end
}

bool meets(std::uint32_t start, std::uint32_t end, std::uint64_t lo, std::uint64_t hi) {
  return start < hi && lo < end;
}

std::string anon_vma_value(const AnonVmaView& a) {
  return fmt::format("[{},{},{},{},{}]", a.root, a.parent, a.refcount, a.num_children,
                     a.num_active_vmas);
}

bool same(const AnonVmaView& a, const AnonVmaView& b) {
  return a.root == b.root && a.parent == b.parent && a.refcount == b.refcount &&
         a.num_children == b.num_children && a.num_active_vmas == b.num_active_vmas;
}

}  // namespace

void StateChanges::count_chain(std::uint32_t chain, int sign) {
  if (!chain) return;
  if (sign > 0) {
    ++vmas_with_anon_vma_;
    chain_total_ += chain;
    ++chain_lengths_[chain];
  } else {
    --vmas_with_anon_vma_;
    chain_total_ -= chain;
    if (--chain_lengths_[chain] == 0) chain_lengths_.erase(chain);
  }
}

void StateChanges::process(const State& state, const Op& op, int slot,
                           std::vector<Change>& changes) {
  const bool alive = state.alive(slot);
  // Where the operation could have changed this process's pages; the whole
  // of it for spawn, fork (parent and child) and exit.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> window;
  const bool whole = op.verb == Verb::spawn || op.verb == Verb::fork || op.verb == Verb::exit;
  if (whole) {
    window.emplace_back(0, kArenaPages);
  } else if (op.verb == Verb::read || op.verb == Verb::write) {
    // A read of shmem maps its neighbours too (fault-around), never beyond
    // the page table: the 512-page blocks the range meets.
    window.emplace_back(
        op.a / 512 * 512,
        std::min<std::uint64_t>(kArenaPages, (std::uint64_t(op.a) + op.n + 511) / 512 * 512));
  } else {
    window.emplace_back(op.a, std::uint64_t(op.a) + op.n);
    if (op.verb == Verb::mremap) window.emplace_back(op.b, std::uint64_t(op.b) + op.m);
  }
  const auto in_window = [&](std::uint32_t start, std::uint32_t end) {
    // A page either side: a merge reaches a neighbour.
    for (const auto& [lo, hi] : window)
      if (meets(start, end, lo ? lo - 1 : 0, hi + 1)) return true;
    return false;
  };

  // The process itself.
  const std::string name = alive ? json_string(state.script().procs[slot]) : "null";
  const auto p = procs_.find(slot);
  if (p == procs_.end() ? alive : p->second != name)
    changes.push_back({'p', std::uint64_t(slot), name});
  if (alive)
    procs_[slot] = name;
  else
    procs_.erase(slot);

  // Its VMAs.
  std::vector<std::uint32_t>& ids = vma_ids_[slot];
  std::unordered_set<std::uint32_t> seen;
  std::vector<std::uint32_t> now;
  for (const VmaView& v : alive ? state.vmas(slot) : std::vector<VmaView>{}) {
    seen.insert(v.id);
    now.push_back(v.id);
    const auto old = vmas_.find(v.id);
    Vma m;
    m.start = v.start;
    m.end = v.end;
    m.chain = v.anon_vma ? static_cast<std::uint32_t>(v.chain.size()) : 0;
    const bool recount = old == vmas_.end() || old->second.start != v.start ||
                         old->second.end != v.end || in_window(v.start, v.end);
    m.present = recount ? state.pages(slot, v.start, v.end).size() : old->second.present;
    m.value = fmt::format("[{},{},{},{},{},{},{},[", slot, v.start, v.end, json_string(v.prot),
                          v.pgoff, v.shmem, v.anon_vma);
    for (std::size_t i = 0; i < v.chain.size(); ++i)
      m.value += fmt::format("{}{}", i ? "," : "", v.chain[i]);
    m.value += fmt::format("],{}]", m.present);
    if (old == vmas_.end() || old->second.value != m.value) changes.push_back({'v', v.id, m.value});
    if (old != vmas_.end()) count_chain(old->second.chain, -1);
    count_chain(m.chain, +1);
    vmas_[v.id] = std::move(m);
  }
  for (const std::uint32_t id : ids) {
    if (seen.contains(id)) continue;
    changes.push_back({'v', id, "null"});
    count_chain(vmas_[id].chain, -1);
    vmas_.erase(id);
  }
  if (alive)
    ids = std::move(now);
  else
    vma_ids_.erase(slot);

  if (!folios_) return;
  // Its present pages, where they could have changed.
  for (const auto& [lo, hi] : window) {
    std::map<std::uint64_t, std::string> before;
    const auto first = pages_.lower_bound(page_key(slot, lo));
    const auto last = pages_.lower_bound(page_key(slot, hi));
    before.insert(std::make_move_iterator(first), std::make_move_iterator(last));
    pages_.erase(first, last);
    if (alive)
      for (const PageView& pv :
           state.pages(slot, static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi))) {
        std::string value = fmt::format("[{},{},{},{},{}]", pv.folio, pv.anon_vma,
                                        int(pv.zero_page), int(pv.shmem), int(pv.exclusive));
        const std::uint64_t key = page_key(slot, pv.page);
        const auto was = before.find(key);
        if (was == before.end() || was->second != value) changes.push_back({'f', key, value});
        if (was != before.end()) before.erase(was);
        pages_.emplace(key, std::move(value));
      }
    for (const auto& gone : before) changes.push_back({'f', gone.first, "null"});
  }
}

std::map<std::pair<char, std::uint64_t>, std::string> StateChanges::everything(
    const State& state) const {
  StateChanges fresh(folios_);
  std::vector<Change> changes;
  for (const int slot : state.processes()) {
    Op whole;
    whole.verb = Verb::spawn;
    whole.proc = slot;
    fresh.process(state, whole, slot, changes);
  }
  for (const AnonVmaView& a : state.anon_vmas()) changes.push_back({'a', a.id, anon_vma_value(a)});
  std::map<std::pair<char, std::uint64_t>, std::string> out;
  for (Change& c : changes) out[{c.kind, c.key}] = std::move(c.now);
  return out;
}

StateShape StateChanges::next(const State& state, const Op& op, std::string& out) {
  std::vector<Change> changes;
  process(state, op, op.proc, changes);
  if (op.verb == Verb::fork && op.child >= 0) process(state, op, op.child, changes);

  // The anon_vmas: any of the family may change (a parent's num_children, a
  // root's refcount), so every live one's counters are compared.
  std::unordered_set<std::uint32_t> live;
  for (const AnonVmaView& a : state.anon_vmas()) {
    live.insert(a.id);
    const auto old = anon_vmas_.find(a.id);
    if (old != anon_vmas_.end() && same(old->second, a)) continue;
    changes.push_back({'a', a.id, anon_vma_value(a)});
    anon_vmas_[a.id] = a;
  }
  if (live.size() != anon_vmas_.size())
    for (auto it = anon_vmas_.begin(); it != anon_vmas_.end();) {
      if (live.contains(it->first)) {
        ++it;
        continue;
      }
      changes.push_back({'a', it->first, "null"});
      it = anon_vmas_.erase(it);
    }

  static constexpr char kOrder[] = "pvaf";
  std::sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) {
    const auto kx = std::string_view(kOrder).find(x.kind),
               ky = std::string_view(kOrder).find(y.kind);
    return kx != ky ? kx < ky : x.key < y.key;
  });
  out += '[';
  for (std::size_t i = 0; i < changes.size(); ++i)
    out += fmt::format("{}[\"{}\",{},{}]", i ? "," : "", changes[i].kind, changes[i].key,
                       changes[i].now);
  out += ']';

  StateShape shape;
  shape.vmas_with_anon_vma = vmas_with_anon_vma_;
  shape.chain_total = chain_total_;
  shape.chain_max = chain_lengths_.empty() ? 0 : chain_lengths_.rbegin()->first;
  // The rmap walks of the folios a read or write touched.
  if ((op.verb == Verb::read || op.verb == Verb::write) && state.alive(op.proc)) {
    std::unordered_set<std::uint32_t> walked;
    for (const PageView& p : state.pages(op.proc, op.a, op.a + std::max<std::uint32_t>(op.n, 1))) {
      if (p.zero_page || p.shmem || !p.anon_vma || p.anon_vma_freed) continue;
      if (!walked.insert(p.folio).second) continue;
      if (const auto walk = state.rmap_walk(op.proc, p.page)) {
        const auto maps = static_cast<std::uint64_t>(std::count_if(
            walk->begin(), walk->end(), [](const RmapCandidate& c) { return c.maps; }));
        shape.walk_candidates += walk->size();
        shape.walk_mappings += maps;
        shape.walk_max = std::max<std::uint32_t>(shape.walk_max, walk->size());
      }
    }
  }
  return shape;
}

}  // namespace rmaplab::html
