// The invariant checker (see check.h for the rules).
//
// One pass per rule group, in an order chosen so that the first finding is
// the cause rather than a consequence: pointers are checked before anything
// follows them (layout, forest), links before the counters that count them,
// and page tables last, because a folio's rmap is only as good as the links
// under it. Once every process has exited, leaks (I12) come first: then a
// left-over object is the finding, not whatever its stale counters say.
//
// Cost: every pass is linear in what it visits (VMAs x chain length, live
// anon_vmas, tree nodes, present PTEs), with hash lookups for per-anon_vma
// facts; nothing is quadratic in the number of anon_vmas. Strings are only
// built for a finding.
#include "check/check.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "check/check_design.h"
#include "model/machine.h"

namespace rmaplab {
namespace {

using model::anon_vma;
using model::anon_vma_chain;
using model::folio;
using model::list_head;
using model::mm_struct;
using model::vm_area_struct;

using Result = std::optional<Finding>;

Finding finding(std::string rule, std::string message) {
  return {std::move(rule), std::move(message)};
}

// What the checker recounts about one live anon_vma from the rest of the state.
struct AvFacts {
  std::size_t listed = 0;   // AVCs for it on VMA chains
  int active = 0;           // VMAs whose anon_vma it is
  int children = 0;         // live children (tree non-empty) + the root's self link
  int family = 0;           // roots: allocated non-root members
  std::uint64_t stamp = 0;  // on the chain being looked at (stamp == Checker::stamp_)
  std::size_t pos = 0;      // its position on that chain
  enum class Walk : std::uint8_t { unvisited, visiting, done } walk = Walk::unvisited;
};

class Checker {
 public:
  // lazy_folios: anon-vma-lazy's folios that point at their VMA instead of
  // an anon_vma are left to the shared rule S1 (B3 and I10 skip them).
  Checker(const model::Machine& m, const std::vector<std::string>& names, bool lazy_folios = false)
      : m_(m), env_(m.env()), names_(names), lazy_folios_(lazy_folios) {}

  Result run() {
    if (auto f = check_locks()) return f;           // L1
    if (auto f = check_leaks()) return f;           // I12
    if (auto f = check_vma_layout()) return f;      // B1
    if (auto f = check_forest()) return f;          // I9
    if (auto f = check_chains()) return f;          // I1, I2, I3 (lists)
    if (auto f = check_trees()) return f;           // I3 (trees, totals)
    if (auto f = check_chain_families()) return f;  // I4, I5
    if (auto f = check_same_anon_vma()) return f;   // I11
    if (auto f = check_counters()) return f;        // I6, I7, I8
    if (auto f = check_pages()) return f;           // B3, I10, B2
    return std::nullopt;
  }

 private:
  // --- naming objects the way a kernel developer reads them ---

  std::string proc_name(const mm_struct* mm) const {
    if (!mm) return "(no mm)";
    if (mm->slot >= 0 && static_cast<std::size_t>(mm->slot) < names_.size())
      return names_[mm->slot];
    return fmt::format("process#{}", mm->slot);
  }
  std::string vma_name(const vm_area_struct& v) const {
    return fmt::format("{} vma#{} [{},{})", proc_name(v.vm_mm), v.id, v.vm_start, v.vm_end);
  }
  static std::string av_name(const anon_vma* av) { return fmt::format("anon_vma #{}", av->id()); }
  std::string avc_name(const anon_vma_chain& avc) const {
    return fmt::format("AVC ({}, {})", vma_name(*avc.vma), av_name(avc.anon_vma));
  }
  std::string pte_name(const mm_struct& mm, std::uint32_t page) const {
    return fmt::format("{} page {}", proc_name(&mm), page);
  }
  // "anon_vma #1, anon_vma #4" for the first few of a list.
  template <class T, class Name>
  static std::string list_names(const std::vector<T>& items, Name&& name) {
    std::string s;
    for (std::size_t i = 0; i < items.size() && i < 4; ++i) s += (i ? ", " : "") + name(items[i]);
    if (items.size() > 4) s += ", ...";
    return s;
  }

  // --- shared helpers ---

  AvFacts* facts(const anon_vma* av) {
    auto it = facts_.find(av);
    return it == facts_.end() ? nullptr : &it->second;
  }
  bool any_process() const {
    return std::any_of(m_.processes().begin(), m_.processes().end(),
                       [](const auto& p) { return p != nullptr; });
  }
  // f(mm, vma) for every VMA of every live process, in slot and address
  // order; stops at the first finding.
  template <class F>
  Result each_vma(F&& f) const {
    for (const auto& mm : m_.processes()) {
      if (!mm) continue;
      for (const auto& [start, v] : mm->vmas)
        if (auto r = f(*mm, *v)) return r;
    }
    return std::nullopt;
  }
  // Reads v's same_vma list into chain_, newest first. The list is walked
  // defensively (bounded, back links checked) because the lists are what the
  // later passes trust.
  Result read_chain(const vm_area_struct& v) {
    chain_.clear();
    const list_head* head = &v.anon_vma_chain;
    const std::size_t bound = env_.live_avcs();
    for (const list_head* n = head->next; n != head; n = n->next) {
      if (n->next->prev != n || n->prev->next != n)
        return finding("I3 avc_links",
                       fmt::format("{}'s anon_vma_chain list has inconsistent next/prev links "
                                   "at entry {}",
                                   vma_name(v), chain_.size() + 1));
      if (chain_.size() == bound)
        return finding("I3 avc_links",
                       fmt::format("{}'s anon_vma_chain list holds more entries than the {} "
                                   "live AVCs: it does not lead back to its head",
                                   vma_name(v), bound));
      chain_.push_back(anon_vma_chain::from_same_vma(n));
    }
    return std::nullopt;
  }
  // Marks the anon_vmas on chain_ (stamp and position) for O(1) membership tests.
  void stamp_chain() {
    ++stamp_;
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      AvFacts* f = facts(chain_[i]->anon_vma);
      f->stamp = stamp_;
      f->pos = i;
    }
  }
  bool on_stamped_chain(const anon_vma* av) {
    const AvFacts* f = facts(av);
    return f && f->stamp == stamp_;
  }

  // L1: every path that takes a root rwsem drops it before the operation
  // ends; one still held would deadlock the next writer.
  Result check_locks() const {
    if (const std::size_t held = env_.rwsems_held())
      return finding("L1 locks_released",
                     fmt::format("{} anon_vma root rwsem{} still held after the operation", held,
                                 held == 1 ? " is" : "s are"));
    return std::nullopt;
  }

  // I12: an exited workload leaves nothing behind, so every allocation found
  // a matching free (shared-memory folios die with their last mapping too).
  Result check_leaks() const {
    if (any_process()) return std::nullopt;
    if (const auto& avs = env_.anon_vmas(); !avs.empty()) {
      return finding(
          "I12 leak",
          fmt::format("every process has exited, but {} anon_vma{} still allocated ({})",
                      avs.size(), avs.size() == 1 ? " is" : "s are", list_names(avs, av_name)));
    }
    auto leaked = [](std::size_t n, const char* what) {
      return finding("I12 leak",
                     fmt::format("every process has exited, but {} {}{} still allocated", n, what,
                                 n == 1 ? " is" : "s are"));
    };
    if (env_.live_avcs()) return leaked(env_.live_avcs(), "anon_vma_chain");
    if (env_.live_vmas()) return leaked(env_.live_vmas(), "vm_area_struct");
    if (env_.live_folios()) return leaked(env_.live_folios(), "folio");
    return std::nullopt;
  }

  // B1: each mm's VMA map is the maple tree: keyed by vm_start, no overlaps,
  // and every allocated VMA is in exactly one address space.
  Result check_vma_layout() const {
    std::size_t vmas = 0;
    for (const auto& mm : m_.processes()) {
      if (!mm) continue;
      const vm_area_struct* prev = nullptr;
      for (const auto& [start, v] : mm->vmas) {
        if (v->vm_mm != mm.get())
          return finding("B1 vma_layout",
                         fmt::format("{} vma#{} [{},{}) is in {}'s VMA tree but its vm_mm is {}",
                                     proc_name(mm.get()), v->id, v->vm_start, v->vm_end,
                                     proc_name(mm.get()), proc_name(v->vm_mm)));
        if (start != v->vm_start)
          return finding("B1 vma_layout", fmt::format("{} is filed under page {} in its VMA tree",
                                                      vma_name(*v), start));
        if (v->vm_start >= v->vm_end)
          return finding("B1 vma_layout", fmt::format("{} is empty or inverted", vma_name(*v)));
        if (prev && prev->vm_end > v->vm_start)
          return finding("B1 vma_layout",
                         fmt::format("{} overlaps {}", vma_name(*prev), vma_name(*v)));
        prev = v;
        ++vmas;
      }
    }
    if (vmas != env_.live_vmas())
      return finding("B1 vma_layout",
                     fmt::format("{} vm_area_structs are allocated but the address spaces hold {}",
                                 env_.live_vmas(), vmas));
    return std::nullopt;
  }

  // I9: root and parent pointers form a forest of families. Every later pass
  // follows them, so they are checked (and facts_ built) first.
  Result check_forest() {
    const auto& avs = env_.anon_vmas();
    facts_.clear();
    facts_.reserve(avs.size() * 2);
    for (const anon_vma* av : avs) facts_.emplace(av, AvFacts{});
    for (const anon_vma* av : avs) {
      if (av->is_root()) {
        if (av->parent() != av)
          return finding("I9 forest",
                         fmt::format("root {} has parent {}; a root is its own parent", av_name(av),
                                     facts(av->parent()) ? av_name(av->parent()) : "(not alive)"));
        continue;
      }
      const anon_vma* root = av->root();
      if (!facts(root))
        return finding("I9 forest", fmt::format("{}'s root is not a live anon_vma", av_name(av)));
      if (!root->is_root())
        return finding("I9 forest", fmt::format("{}'s root {} is not a root: its own root is {}",
                                                av_name(av), av_name(root), av_name(root->root())));
      const anon_vma* parent = av->parent();
      if (!facts(parent))
        return finding("I9 forest", fmt::format("{}'s parent is not a live anon_vma", av_name(av)));
      if (parent == av)
        return finding("I9 forest", fmt::format("{} is its own parent but has {} as its root",
                                                av_name(av), av_name(root)));
      if (parent->root() != root)
        return finding(
            "I9 forest",
            fmt::format("{} (root {}) has parent {}, which is in another family (root {})",
                        av_name(av), av_name(root), av_name(parent), av_name(parent->root())));
    }
    // Following parents must reach the root: a cycle among non-roots never
    // does. Each anon_vma is walked once (three-colour search).
    std::vector<AvFacts*> path;
    for (const anon_vma* av : avs) {
      path.clear();
      const anon_vma* x = av;
      for (AvFacts* f = facts(x); !x->is_root() && f->walk == AvFacts::Walk::unvisited;
           f = facts(x)) {
        f->walk = AvFacts::Walk::visiting;
        path.push_back(f);
        x = x->parent();
      }
      if (!x->is_root() && facts(x)->walk == AvFacts::Walk::visiting)
        return finding(
            "I9 forest",
            fmt::format("following parents from {} comes back to {} without reaching the root {}",
                        av_name(av), av_name(x), av_name(av->root())));
      for (AvFacts* f : path) f->walk = AvFacts::Walk::done;
    }
    return std::nullopt;
  }

  // I1, I2 and the list half of I3, per VMA: the chain is the VMA's view of
  // its anon_vmas, and each entry must be the AVC the tree holds for it.
  Result check_chains() {
    return each_vma([&](const mm_struct&, const vm_area_struct& v) -> Result {
      if (auto f = read_chain(v)) return f;
      if (!v.anon_vma && !chain_.empty())
        return finding("I1 anon_vma_vs_chain",
                       fmt::format("{} has no anon_vma but {} AVC{} on its chain (first: {})",
                                   vma_name(v), chain_.size(), chain_.size() == 1 ? "" : "s",
                                   av_name(chain_.front()->anon_vma)));
      if (v.anon_vma && chain_.empty())
        return finding("I1 anon_vma_vs_chain",
                       fmt::format("{} has anon_vma {} but an empty anon_vma_chain", vma_name(v),
                                   facts(v.anon_vma) ? av_name(v.anon_vma) : "(freed)"));
      ++stamp_;
      for (const anon_vma_chain* avc : chain_) {
        if (avc->vma != &v)
          return finding(
              "I3 avc_links",
              fmt::format("an AVC on {}'s chain (for {}) names {} as its VMA", vma_name(v),
                          facts(avc->anon_vma) ? av_name(avc->anon_vma) : "a freed anon_vma",
                          avc->vma ? vma_name(*avc->vma) : "no VMA"));
        AvFacts* f = facts(avc->anon_vma);
        if (!f)
          return finding("I3 avc_links",
                         fmt::format("an AVC on {}'s chain points to an anon_vma that is not alive",
                                     vma_name(v)));
        if (f->stamp == stamp_)
          return finding("I2 chain_entries", fmt::format("{}'s chain holds two AVCs for {}",
                                                         vma_name(v), av_name(avc->anon_vma)));
        f->stamp = stamp_;
        ++f->listed;
        if (!avc->anon_vma->rb_root.contains(*avc))
          return finding("I3 avc_links",
                         fmt::format("{} is on the VMA's chain but not in {}'s interval tree",
                                     avc_name(*avc), av_name(avc->anon_vma)));
      }
      if (v.anon_vma) {
        AvFacts* f = facts(v.anon_vma);
        if (!f)
          return finding("I2 chain_entries",
                         fmt::format("{}'s anon_vma is not a live anon_vma", vma_name(v)));
        if (f->stamp != stamp_)
          return finding(
              "I2 chain_entries",
              fmt::format("{}'s anon_vma is {}, but its chain ({}) has no AVC for it", vma_name(v),
                          av_name(v.anon_vma), list_names(chain_, [](const anon_vma_chain* c) {
                            return av_name(c->anon_vma);
                          })));
        ++f->active;
      }
      return std::nullopt;
    });
  }

  // The tree half of I3: each tree is a valid interval tree under the current
  // VMA ranges (a range changed without erase/re-insert shows up here), holds
  // only listed AVCs, and the lists account for every live AVC.
  Result check_trees() {
    std::size_t listed = 0;
    for (const anon_vma* av : env_.anon_vmas()) {
      const AvFacts& f = *facts(av);
      listed += f.listed;
      if (std::string err = av->rb_root.validate(); !err.empty()) {
        if (err.back() == '.') err.pop_back();
        return finding(
            "I3 avc_links",
            fmt::format("{}'s interval tree is not keyed by its VMAs' current ranges: {}",
                        av_name(av), misfiled_avc(*av).value_or(err)));
      }
      std::size_t size = 0;
      for (const anon_vma_chain* a = av->rb_root.first(); a; a = av->rb_root.next(*a)) ++size;
      if (size != f.listed) {
        const anon_vma_chain* stray = unlisted_avc(*av);
        return finding(
            "I3 avc_links",
            fmt::format("{}'s interval tree holds {} AVCs but VMA chains list {}{}", av_name(av),
                        size, f.listed,
                        stray ? fmt::format(": {} is on no VMA's chain", avc_name(*stray)) : ""));
      }
    }
    if (listed != env_.live_avcs())
      return finding("I3 avc_links",
                     fmt::format("{} anon_vma_chains are allocated but VMA chains hold {}",
                                 env_.live_avcs(), listed));
    return std::nullopt;
  }
  // For a tree that failed validation: the AVC whose key is wrong, in order
  // or in its subtree_last (only a node whose own range changed can disagree
  // with the stored values of its children).
  std::optional<std::string> misfiled_avc(const anon_vma& av) const {
    using model::avc_interval;
    auto aug = [](const model::rb_node* n) {
      return reinterpret_cast<const model::interval_node*>(n)->subtree_last;
    };
    const anon_vma_chain* prev = nullptr;
    std::size_t steps = 0;
    for (const anon_vma_chain* a = av.rb_root.first(); a && steps++ <= env_.live_avcs();
         a = av.rb_root.next(*a)) {
      if (prev && avc_interval::start(*prev) > avc_interval::start(*a))
        return fmt::format("{} (pgoff {:#x}) comes after {} (pgoff {:#x}) in order", avc_name(*a),
                           avc_interval::start(*a), avc_name(*prev), avc_interval::start(*prev));
      std::uint64_t m = avc_interval::last(*a);
      if (a->rb.rb.left) m = std::max(m, aug(a->rb.rb.left));
      if (a->rb.rb.right) m = std::max(m, aug(a->rb.rb.right));
      if (a->rb.subtree_last != m)
        return fmt::format(
            "{} was filed with a subtree end of pgoff {:#x}, but its VMA now covers pgoff [{:#x}, "
            "{:#x}]",
            avc_name(*a), a->rb.subtree_last, avc_interval::start(*a), avc_interval::last(*a));
      prev = a;
    }
    return std::nullopt;
  }
  // An element of av's tree that is not on its VMA's chain (failure path only).
  const anon_vma_chain* unlisted_avc(const anon_vma& av) const {
    for (const anon_vma_chain* a = av.rb_root.first(); a; a = av.rb_root.next(*a)) {
      bool on_list = false;
      each_vma([&](const mm_struct&, const vm_area_struct& v) -> Result {
        if (&v == a->vma)
          v.for_each_avc([&](const anon_vma_chain& c) { on_list = on_list || &c == a; });
        return std::nullopt;
      });
      if (!on_list) return a;
    }
    return nullptr;
  }

  // I4, I5: a chain is one family, closed under ->parent, children first.
  // unlink_anon_vmas relies on that order to put children before parents.
  Result check_chain_families() {
    return each_vma([&](const mm_struct&, const vm_area_struct& v) -> Result {
      if (auto f = read_chain(v)) return f;
      if (chain_.empty()) return std::nullopt;
      stamp_chain();
      const anon_vma* root = chain_.front()->anon_vma->root();
      for (const anon_vma_chain* avc : chain_) {
        const anon_vma* av = avc->anon_vma;
        if (av->root() != root)
          return finding("I4 chain_family",
                         fmt::format("{}'s chain mixes families: {} has root {} but {} has root {}",
                                     vma_name(v), av_name(chain_.front()->anon_vma), av_name(root),
                                     av_name(av), av_name(av->root())));
        if (!on_stamped_chain(av->parent()))
          return finding("I4 chain_family",
                         fmt::format("{}'s chain holds {} but not its parent {}", vma_name(v),
                                     av_name(av), av_name(av->parent())));
      }
      // A profile whose clones reverse the chain (7.x) keeps no order.
      if (env_.profile().clone_reverses_chain) return std::nullopt;
      for (const anon_vma_chain* avc : chain_) {
        const anon_vma* av = avc->anon_vma;
        if (!av->is_root() && facts(av)->pos > facts(av->parent())->pos)
          return finding("I5 chain_order",
                         fmt::format("{}'s chain lists {} after its parent {}; children come first",
                                     vma_name(v), av_name(av), av_name(av->parent())));
      }
      if (const anon_vma* last = chain_.back()->anon_vma; !last->is_root())
        return finding("I5 chain_order",
                       fmt::format("{}'s chain ends with {}, not with its root {}", vma_name(v),
                                   av_name(last), av_name(root)));
      return std::nullopt;
    });
  }

  // I11: VMAs of one process that share an anon_vma carry the same set of
  // anon_vmas, so merging them (equal anon_vma pointers) loses no link.
  Result check_same_anon_vma() {
    struct First {
      const vm_area_struct* vma;
      std::vector<const anon_vma*> set;  // sorted
    };
    std::unordered_map<const anon_vma*, First> first;
    for (const auto& mm : m_.processes()) {
      if (!mm) continue;
      first.clear();
      for (const auto& [start, v] : mm->vmas) {
        // A VMA alone on its anon_vma (the common case) has nothing to agree with.
        if (!v->anon_vma || facts(v->anon_vma)->active < 2) continue;
        std::vector<const anon_vma*> set;
        v->for_each_avc([&](const anon_vma_chain& c) { set.push_back(c.anon_vma); });
        std::sort(set.begin(), set.end());
        auto [it, fresh] = first.try_emplace(v->anon_vma, First{v, {}});
        if (fresh) {
          it->second.set = std::move(set);
          continue;
        }
        if (set == it->second.set) continue;
        // Name one anon_vma that is on one chain only.
        const First& a = it->second;
        std::vector<const anon_vma*> only_a, only_b;
        std::set_difference(a.set.begin(), a.set.end(), set.begin(), set.end(),
                            std::back_inserter(only_a));
        std::set_difference(set.begin(), set.end(), a.set.begin(), a.set.end(),
                            std::back_inserter(only_b));
        const bool in_a = !only_a.empty();
        return finding(
            "I11 same_anon_vma_same_chain",
            fmt::format("{} and {} share {} but their chains differ: {} is only on {}'s chain",
                        vma_name(*a.vma), vma_name(*v), av_name(v->anon_vma),
                        av_name(in_a ? only_a.front() : only_b.front()),
                        vma_name(in_a ? *a.vma : *v)));
      }
    }
    return std::nullopt;
  }

  // I6, I7, I8: the three counters against what they count. Each names the
  // objects counted, so the message says which one the counter missed.
  Result check_counters() {
    const auto& avs = env_.anon_vmas();
    for (const anon_vma* av : avs) {
      if (!av->rb_root.empty()) ++facts(av->is_root() ? av : av->parent())->children;
      if (!av->is_root()) ++facts(av->root())->family;
    }
    for (const anon_vma* av : avs) {
      const AvFacts& f = *facts(av);
      if (av->num_active_vmas() == f.active) continue;
      std::vector<const vm_area_struct*> users;
      each_vma([&](const mm_struct&, const vm_area_struct& v) -> Result {
        if (v.anon_vma == av) users.push_back(&v);
        return std::nullopt;
      });
      return finding(
          "I6 num_active_vmas",
          fmt::format("{} has num_active_vmas {}, but {} VMA{} use{} it{}", av_name(av),
                      av->num_active_vmas(), f.active, f.active == 1 ? "" : "s",
                      f.active == 1 ? "s" : "",
                      users.empty() ? "" : " (" + list_names(users, [&](const vm_area_struct* v) {
                                             return vma_name(*v);
                                           }) + ")"));
    }
    for (const anon_vma* av : avs) {
      const AvFacts& f = *facts(av);
      if (av->num_children() == f.children) continue;
      std::vector<const anon_vma*> kids;
      for (const anon_vma* y : avs)
        if (!y->is_root() && y->parent() == av && !y->rb_root.empty()) kids.push_back(y);
      const bool self = av->is_root() && !av->rb_root.empty();
      return finding("I7 num_children",
                     fmt::format("{} has num_children {}, but should have {}: {} live child{}{}{}",
                                 av_name(av), av->num_children(), f.children, kids.size(),
                                 kids.size() == 1 ? "" : "ren",
                                 kids.empty() ? "" : " (" + list_names(kids, av_name) + ")",
                                 self ? " plus its self link (a root with a non-empty tree)" : ""));
    }
    for (const anon_vma* av : avs) {
      const AvFacts& f = *facts(av);
      const int linked = av->rb_root.empty() ? 0 : 1;
      if (av->refcount() == linked + f.family) continue;
      return finding(
          "I8 refcount",
          fmt::format(
              "{} has refcount {}, but should have {}: {} for its {} tree{}", av_name(av),
              av->refcount(), linked + f.family, linked, linked ? "non-empty" : "empty",
              av->is_root()
                  ? fmt::format(" + {} pinned by the non-root anon_vmas of its family", f.family)
                  : std::string(" (a non-root pins nothing)")));
    }
    return std::nullopt;
  }

  // B3, I10, B2: every present PTE. A PTE's folio must suit its VMA; an
  // anonymous one must be reachable by rmap_walk from its ->mapping (the VMA
  // has an AVC for it and the folio's index lands on this page); mapcounts
  // equal the PTEs counted.
  Result check_pages() {
    struct Mapped {
      std::uint32_t ptes = 0;
      const mm_struct* mm;
      std::uint32_t page;
    };
    std::unordered_map<const folio*, Mapped> mapped;
    std::vector<const folio*> order;  // first-seen order, for a deterministic report
    Result found;
    auto r = each_vma([&](const mm_struct& mm, const vm_area_struct& v) -> Result {
      if (auto f = read_chain(v)) return f;
      stamp_chain();
      mm.ptes.for_each_present(v.vm_start, v.vm_end, [&](std::uint32_t page, const folio* f) {
        if (found) return;
        found = check_pte(mm, v, page, f);
        if (found || model::is_zero_page(f)) return;
        auto [it, fresh] = mapped.try_emplace(f, Mapped{0, &mm, page});
        if (fresh) order.push_back(f);
        ++it->second.ptes;
      });
      return found;
    });
    if (r) return r;
    for (const folio* f : order) {
      const Mapped& m = mapped.at(f);
      if (f->mapcount != m.ptes)
        return finding("B2 mapcount",
                       fmt::format("folio #{} has mapcount {}, but {} PTE{} map{} it (first: {})",
                                   f->id, f->mapcount, m.ptes, m.ptes == 1 ? "" : "s",
                                   m.ptes == 1 ? "s" : "", pte_name(*m.mm, m.page)));
    }
    return std::nullopt;
  }
  // One PTE of v, whose chain is stamped.
  Result check_pte(const mm_struct& mm, const vm_area_struct& v, std::uint32_t page,
                   const folio* f) {
    auto where = [&] { return fmt::format("{} ({})", pte_name(mm, page), vma_name(v)); };
    if (model::is_zero_page(f)) {
      if (!v.is_anonymous())
        return finding("B3 pte_folio",
                       fmt::format("the shared-memory mapping at {} maps the zero page", where()));
      return std::nullopt;
    }
    if (!v.is_anonymous()) {
      if (f->shmem != v.shmem || f->index != v.pgoff_of(page))
        return finding("B3 pte_folio",
                       fmt::format("{} maps folio #{} (shmem object {}, offset {:#x}), but the "
                                   "VMA maps offset {:#x} of shmem object {} there",
                                   where(), f->id, f->shmem, f->index, v.pgoff_of(page), v.shmem));
      return std::nullopt;
    }
    if (!f->is_anon())
      return finding("B3 pte_folio",
                     fmt::format("private {} maps shared-memory folio #{}", where(), f->id));
    if (lazy_folios_ && f->lazy_mm) return std::nullopt;
    if (!v.anon_vma)
      return finding(
          "B3 pte_folio",
          fmt::format("{} maps anonymous folio #{} but the VMA has no anon_vma", where(), f->id));
    if (!f->mapping || !env_.is_live(f->mapping, f->mapping_id))
      return finding(
          "I10 folio_rmap",
          fmt::format("folio #{} mapped at {} has mapping anon_vma #{}, which has been freed",
                      f->id, where(), f->mapping_id));
    if (!on_stamped_chain(f->mapping))
      return finding(
          "I10 folio_rmap",
          fmt::format(
              "folio #{} mapped at {} belongs to {}, but the VMA has no AVC for it, so the rmap "
              "walk cannot find this mapping",
              f->id, where(), av_name(f->mapping)));
    if (f->index != v.pgoff_of(page))
      return finding(
          "I10 folio_rmap",
          fmt::format(
              "folio #{} mapped at {} has index {:#x}, but the VMA maps pgoff {:#x} there, so the "
              "rmap walk from {} looks elsewhere",
              f->id, where(), f->index, v.pgoff_of(page), av_name(f->mapping)));
    return std::nullopt;
  }

  const model::Machine& m_;
  const model::Env& env_;
  const std::vector<std::string>& names_;
  const bool lazy_folios_;
  std::unordered_map<const anon_vma*, AvFacts> facts_;  // every live anon_vma
  std::vector<const anon_vma_chain*> chain_;            // the chain being looked at
  std::uint64_t stamp_ = 0;
};

}  // namespace

std::optional<Finding> check_invariants(const model::Machine& machine,
                                        const std::vector<std::string>& process_names) {
  switch (machine.rmap().kind()) {
    case model::DesignKind::anon_vma:
      break;
    case model::DesignKind::anon_vma_lazy:
      if (auto f = Checker(machine, process_names, /*lazy_folios=*/true).run()) return f;
      return check_shared_rules(machine, process_names);
    case model::DesignKind::cow_context:
      if (auto f = check_shared_rules(machine, process_names)) return f;
      return check_cow_context(machine, process_names);
  }
  return Checker(machine, process_names).run();
}

}  // namespace rmaplab
