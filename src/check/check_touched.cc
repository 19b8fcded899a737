// The incremental invariant check (see check.h, check_touched).
//
// A detector: every rule instance that involves something the operation
// touched (Env::touched()) is evaluated, without building messages. When one
// fails, the full check_invariants runs and its finding is returned, so a
// report names the same rule and objects, cause first, as `run --check`
// always has; the failure path may cost a full check, the passing path costs
// what the operation touched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <vector>

#include "check/check.h"
#include "model/machine.h"

namespace rmaplab {
namespace {

using model::anon_vma;
using model::anon_vma_chain;
using model::Env;
using model::folio;
using model::list_head;
using model::mm_struct;
using model::Touched;
using model::vm_area_struct;

// Per-check scratch for one live anon_vma, keyed by Env::live_index. Entries
// belong to the current check only when epoch matches, so nothing is cleared
// between checks.
struct Fact {
  std::uint64_t epoch = 0;
  std::uint64_t stamp = 0;  // on the chain being looked at
  std::uint32_t pos = 0;    // its position on that chain
  bool member = false;      // of a touched family
  std::uint8_t what = 0;    // Touched::What bits recorded for it
  bool seen = false;        // its first record read: active_before is set
  int active_before = 0;    // num_active_vmas before the operation
  int active_delta = 0;     // VMAs pointing at it now minus before
  enum class Walk : std::uint8_t { unvisited, visiting, done } walk = Walk::unvisited;
  std::size_t listed = 0, size = 0;
  int active = 0, children = 0, family = 0;
};

template <class T>
bool sorted_has(const std::vector<T>& v, const std::type_identity_t<T>& x) {
  return std::binary_search(v.begin(), v.end(), x);
}
template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

class Detector {
 public:
  explicit Detector(const model::Machine& m) : m_(m), env_(m.env()), t_(m.env().touched()) {}

  // True when some rule instance over touched objects fails.
  bool broken() {
    if (env_.rwsems_held() != 0) return true;  // L1
    // I12 applies once no process is alive: nothing may be left, and then
    // nothing else can be wrong. (The global half of B1, every allocated VMA
    // in an mm, is the full check's: a VMA this operation allocated or freed
    // is touched, and resolve_vmas() finds it filed in its mm or gone.)
    if (m_.live_processes() == 0)
      return !env_.anon_vmas().empty() || env_.live_avcs() || env_.live_vmas() ||
             env_.live_folios();
    if (env_.live_avcs() != t_.avcs_at_reset + t_.chain_links) return true;  // I3, globally
    freed_vmas_ = t_.freed_vmas;
    freed_folios_ = t_.freed_folios;
    context_changed_ = t_.context_changed;
    sort_unique(freed_vmas_);
    sort_unique(freed_folios_);
    sort_unique(context_changed_);
    if (!resolve_vmas()) return true;  // B1
    if (!check_forest()) return true;  // I9
    for (const vm_area_struct* v : vmas_) {
      if (!check_chain(*v, /*full=*/true)) return true;  // I1-I5
      chain_avcs_.insert(chain_avcs_.end(), chain_.begin(), chain_.end());
    }
    sort_unique(chain_avcs_);
    if (!check_families()) return true;  // I3 trees, I4, I5, I6, I7, I8
    for (const vm_area_struct* v : vmas_)
      if (!check_same_anon_vma(*v)) return true;  // I11
    if (!check_pages()) return true;              // B3, I10
    if (!check_folios()) return true;             // B2, I10
    return false;
  }

 private:
  // --- scratch facts ---
  Fact& fact(const anon_vma* av) {
    static thread_local std::vector<Fact> table;
    static thread_local std::uint64_t epoch = 0;
    if (!facts_) {
      facts_ = &table;
      epoch_ = ++epoch;
      if (table.size() < env_.live_anon_vmas()) table.resize(env_.live_anon_vmas());
    }
    Fact& f = (*facts_)[env_.live_index(av)];
    if (f.epoch != epoch_) f = Fact{epoch_};
    return f;
  }
  bool live(const anon_vma* av) const { return av && env_.is_live(av); }

  // B1, globally: every allocated VMA is in an address space.
  // Every live process, for the one rule that needs them (B2 of a shared
  // memory folio: any process may map its object).
  const std::vector<const mm_struct*>& all_processes() {
    if (mms_.empty())
      for (const auto& mm : m_.processes())
        if (mm) mms_.push_back(mm.get());
    return mms_;
  }

  // B1 for each touched VMA still alive: filed in its mm under its start,
  // non-empty, not overlapping its neighbours.
  bool resolve_vmas() {
    for (const Touched::Vma& t : t_.vmas) {
      if (sorted_has(freed_vmas_, t.id)) continue;
      const vm_area_struct* v = t.vma;
      if (!v->vm_mm || m_.process(v->vm_mm->slot) != v->vm_mm) return false;
      vmas_.push_back(v);
    }
    sort_unique(vmas_);
    for (const vm_area_struct* v : vmas_) {
      const mm_struct& mm = *v->vm_mm;
      auto it = mm.vmas.find(v->vm_start);
      if (it == mm.vmas.end() || it->second != v || v->vm_start >= v->vm_end) return false;
      if (it != mm.vmas.begin()) {
        const vm_area_struct* p = std::prev(it)->second;
        if (p->vm_mm != &mm || std::prev(it)->first != p->vm_start || p->vm_end > v->vm_start)
          return false;
      }
      if (auto n = std::next(it); n != mm.vmas.end()) {
        const vm_area_struct* x = n->second;
        if (x->vm_mm != &mm || n->first != x->vm_start || v->vm_end > x->vm_start) return false;
      }
    }
    return true;
  }
  bool touched(const vm_area_struct* v) const { return sorted_has(vmas_, v); }

  // Reads v's same_vma list into chain_ (bounded, back links checked) and
  // stamps its anon_vmas: false on a broken list, a dead anon_vma or one
  // listed twice (I2, I3).
  bool read_chain(const vm_area_struct& v) {
    chain_.clear();
    ++stamp_;
    const list_head* head = &v.anon_vma_chain;
    for (const list_head* n = head->next; n != head; n = n->next) {
      if (n->next->prev != n || n->prev->next != n || chain_.size() == env_.live_avcs())
        return false;
      const anon_vma_chain* c = anon_vma_chain::from_same_vma(n);
      if (c->vma != &v || !live(c->anon_vma)) return false;
      Fact& f = fact(c->anon_vma);
      if (f.stamp == stamp_) return false;
      f.stamp = stamp_;
      f.pos = static_cast<std::uint32_t>(chain_.size());
      chain_.push_back(c);
    }
    return true;
  }
  bool on_chain(const anon_vma* av) { return live(av) && fact(av).stamp == stamp_; }

  // I1, I2, I3 (lists), I4, I5 for one VMA. `full` also asks each AVC's
  // tree whether it holds it (O(log n) each): needed for VMAs whose chain or
  // AVCs the operation touched; an untouched VMA's AVCs stayed in their trees,
  // since every tree insert and erase in the model touches the AVC's VMA.
  bool check_chain(const vm_area_struct& v, bool full) {
    if (!read_chain(v)) return false;
    if ((v.anon_vma == nullptr) != chain_.empty()) return false;  // I1
    if (chain_.empty()) return true;
    if (!on_chain(v.anon_vma)) return false;  // I2
    const anon_vma* root = chain_.front()->anon_vma->root();
    const bool ordered = !env_.profile().clone_reverses_chain;  // I5 holds only then
    for (const anon_vma_chain* c : chain_) {
      const anon_vma* av = c->anon_vma;
      if (full && !av->rb_root.contains(*c)) return false;                                   // I3
      if (av->root() != root || !on_chain(av->parent())) return false;                       // I4
      if (ordered && !av->is_root() && fact(av).pos > fact(av->parent()).pos) return false;  // I5
    }
    return !ordered || chain_.back()->anon_vma->is_root();  // I5
  }

  // I9 over the families (by root) of every touched anon_vma: roots are
  // their own parents; a member's parent is a live member of its family;
  // following parents reaches the root. If the operation freed an anon_vma,
  // also that no live one still points at it.
  bool check_forest() {
    bool freed = false;
    for (const Touched::AnonVma& t : t_.anon_vmas) {
      if (!env_.is_live(t.av, t.id)) {
        freed = true;
        continue;
      }
      const anon_vma* root = t.av->root();
      if (!live(root) || !root->is_root()) return false;
      roots_.push_back(root);
    }
    if (roots_.empty() && !freed) return true;
    sort_unique(roots_);
    // A touched family's members, found from its root without a look at
    // any other family: every VMA with a member on its chain has the root
    // there too (I4), so the root's tree reaches every member with a
    // non-empty tree, and only a root outlives its tree (I8).
    auto add_member = [&](const anon_vma* av) {
      Fact& f = fact(av);
      if (f.member) return;
      f.member = true;
      members_.push_back(av);
    };
    for (const anon_vma* root : roots_) {
      add_member(root);
      root->rb_root.for_each([&](const anon_vma_chain& avc) {
        avc.vma->for_each_avc([&](const anon_vma_chain& link) {
          if (live(link.anon_vma) && link.anon_vma->root() == root) add_member(link.anon_vma);
        });
      });
    }
    for (const Touched::AnonVma& t : t_.anon_vmas)
      if (env_.is_live(t.av, t.id)) add_member(t.av);
    // What was freed: nothing of the touched families still points at it.
    if (freed)
      for (const anon_vma* av : members_)
        if (!live(av->root()) || !av->root()->is_root() || !live(av->parent())) return false;
    for (const Touched::AnonVma& t : t_.anon_vmas) {
      if (!env_.is_live(t.av, t.id)) continue;
      Fact& f = fact(t.av);
      f.what |= t.what;
      if (!f.seen) f.active_before = t.num_active_vmas;
      f.seen = true;
    }
    for (const anon_vma* av : members_) {
      if (av->is_root()) {
        if (av->parent() != av) return false;
        continue;
      }
      const anon_vma* p = av->parent();
      if (p == av || !live(p) || !fact(p).member || p->root() != av->root()) return false;
    }
    std::vector<Fact*> path;
    for (const anon_vma* av : members_) {
      path.clear();
      const anon_vma* x = av;
      for (Fact* f = &fact(x); !x->is_root() && f->walk == Fact::Walk::unvisited; f = &fact(x)) {
        f->walk = Fact::Walk::visiting;
        path.push_back(f);
        x = x->parent();
      }
      if (!x->is_root() && fact(x).walk == Fact::Walk::visiting) return false;
      for (Fact* f : path) f->walk = Fact::Walk::done;
    }
    return true;
  }

  // The tree and counter rules of the touched families. A family where AVCs
  // were erased or re-filed is checked entirely: every member's tree, the
  // chains of every VMA found through the root's tree (each family VMA has
  // the root on its chain), and I3, I6 recounted from them. Otherwise only
  // insertions happened: each inserted AVC's path in its tree is checked
  // (see path_ok), and it must be on the chain of its VMA (touched, so
  // checked above, with every AVC on that chain in its tree); the trees'
  // other nodes did not change, and the only chains that can have changed
  // meaning are those holding an anon_vma whose parent or root changed:
  // the VMAs in its tree. num_active_vmas is recounted where a VMA was
  // attached or detached; num_children and refcount (I7, I8) for every
  // member, from the members' links and tree emptiness.
  // For I6 outside whole families: each touched VMA's anon_vma before the
  // operation (its first record, unless allocated during it) and now (none
  // if freed), as a difference per anon_vma.
  void count_active_moves() {
    std::vector<std::size_t> order(t_.vmas.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return t_.vmas[a].id < t_.vmas[b].id; });
    std::vector<std::uint32_t> allocated = t_.allocated_vmas;
    sort_unique(allocated);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const Touched::Vma& first = t_.vmas[order[k]];
      if (k > 0 && t_.vmas[order[k - 1]].id == first.id) continue;
      const anon_vma* before = sorted_has(allocated, first.id) ? nullptr : first.active;
      const anon_vma* now = sorted_has(freed_vmas_, first.id) ? nullptr : first.vma->anon_vma;
      if (before == now) continue;
      if (live(before)) --fact(before).active_delta;
      if (live(now)) ++fact(now).active_delta;
    }
  }

  bool check_families() {
    if (members_.empty()) return true;
    count_active_moves();
    std::vector<const anon_vma*> full;
    for (const anon_vma* av : members_) {
      Fact& f = fact(av);
      if (f.what & Touched::kTreeErase) full.push_back(av->root());
      if (!av->rb_root.empty()) ++fact(av->is_root() ? av : av->parent()).children;
      if (!av->is_root()) ++fact(av->root()).family;
    }
    sort_unique(full);
    auto whole = [&](const anon_vma* av) { return sorted_has(full, av->root()); };
    for (const anon_vma* av : members_) {
      // Re-filed AVCs: the tree holds the same ones (each is on its touched
      // VMA's chain, and each AVC there is in its tree), under new keys.
      if (!whole(av) && (fact(av).what & Touched::kTreeRekey) && !av->rb_root.validate().empty())
        return false;
      if (!whole(av)) continue;
      if (!av->rb_root.validate().empty()) return false;
      std::size_t size = 0;
      for (const anon_vma_chain* a = av->rb_root.first(); a; a = av->rb_root.next(*a)) ++size;
      fact(av).size = size;
    }
    for (const anon_vma* root : full) {
      for (const anon_vma_chain* a = root->rb_root.first(); a; a = root->rb_root.next(*a)) {
        const vm_area_struct& w = *a->vma;
        if (!check_chain(w, /*full=*/false)) return false;
        for (const anon_vma_chain* c : chain_) ++fact(c->anon_vma).listed;
        if (w.anon_vma) ++fact(w.anon_vma).active;
      }
    }
    // A new parent or root (a new child anon_vma, in the model): the chains
    // holding it are those of the VMAs in its tree.
    for (const anon_vma* av : members_) {
      if (whole(av) || !(fact(av).what & Touched::kLinks)) continue;
      for (const anon_vma_chain* a = av->rb_root.first(); a; a = av->rb_root.next(*a))
        if (!check_chain(*a->vma, /*full=*/false)) return false;
    }
    std::vector<Touched::FreedAvc> freed = t_.freed_avcs;
    std::sort(freed.begin(), freed.end());
    for (std::size_t i = 0; i < t_.inserted.size(); ++i) {
      const anon_vma_chain* a = t_.inserted[i];
      // Freed after it was inserted (the last free of that slot is the one to ask).
      auto it = std::upper_bound(freed.begin(), freed.end(),
                                 Touched::FreedAvc{a, static_cast<std::size_t>(-1)});
      if (it != freed.begin() && std::prev(it)->avc == a && std::prev(it)->inserted > i) continue;
      const anon_vma* av = a->anon_vma;
      if (!live(av) || whole(av)) continue;
      if (!sorted_has(chain_avcs_, a)) return false;
      if (!(fact(av).what & Touched::kTreeRekey) && !path_ok(*av, *a)) return false;
    }
    for (const anon_vma* av : members_) {
      const Fact& f = fact(av);
      if (av->num_children() != f.children ||
          av->refcount() != (av->rb_root.empty() ? 0 : 1) + f.family)
        return false;  // I7, I8
      if (whole(av)) {
        if (f.listed != f.size || av->num_active_vmas() != f.active) return false;  // I3, I6
      } else if ((f.what & Touched::kActive) &&
                 av->num_active_vmas() - f.active_before != f.active_delta) {
        return false;  // I6: it moved by as many VMAs as moved to or from it
      }
    }
    return true;
  }

  // I3 for a tree that only had insertions, at one inserted AVC: it is in
  // av's tree, in order between its neighbours, and every node on its path
  // to the root (where an insertion and its rebalancing change links,
  // colours and subtree ends: the path and the children of its nodes) has
  // consistent parent links, no red-red edge, equal black heights on both
  // sides and the right subtree_last; the root is black and the cached
  // leftmost is the leftmost. O(log^2 n) instead of validate's O(n).
  static bool path_ok(const anon_vma& av, const anon_vma_chain& a) {
    using namespace model::detail;
    using model::rb_node;
    auto avc_of = [](const rb_node* n) {
      return reinterpret_cast<const anon_vma_chain*>(reinterpret_cast<const char*>(n) -
                                                     offsetof(anon_vma_chain, rb));
    };
    auto start = [&](const rb_node* n) { return model::avc_interval::start(*avc_of(n)); };
    auto last = [&](const rb_node* n) { return model::avc_interval::last(*avc_of(n)); };
    auto aug = [&](const rb_node* n) { return avc_of(n)->rb.subtree_last; };
    // Along the leftmost path: the subtrees off the inserted node's path are
    // unchanged, so valid.
    auto black_height = [](const rb_node* n) {
      int h = 1;
      for (int d = 0; n && d <= 128; n = n->left, ++d) h += rb_is_black(n);
      return h;
    };
    if (a.anon_vma != &av || !av.rb_root.contains(a)) return false;
    const rb_node* x = &a.rb.rb;
    if (const rb_node* next = rb_next(x); next && start(next) < start(x)) return false;
    const rb_node* prev = x->left;
    if (prev) {
      while (prev->right) prev = prev->right;
    } else {
      const rb_node* n = x;
      prev = rb_parent(n);
      while (prev && n == prev->left) {
        n = prev;
        prev = rb_parent(prev);
      }
    }
    if (prev && start(prev) > start(x)) return false;
    const rb_node* root = x;
    int depth = 0;
    for (const rb_node* y = x; y; y = rb_parent(y)) {
      if (++depth > 128 || (y->parent_color & 6) != 0) return false;
      std::uint64_t m = last(y);
      for (const rb_node* c : {y->left, y->right}) {
        if (!c) continue;
        if (rb_parent(c) != y || (rb_is_red(y) && rb_is_red(c))) return false;
        m = std::max(m, aug(c));
      }
      if (aug(y) != m || black_height(y->left) != black_height(y->right)) return false;
      root = y;
    }
    if (rb_is_red(root)) return false;
    const rb_node* leftmost = root;
    while (leftmost->left) leftmost = leftmost->left;
    return av.rb_root.first() == avc_of(leftmost);
  }

  // The sorted set of anon_vmas on v's chain.
  static std::vector<const anon_vma*> chain_set(const vm_area_struct& v) {
    std::vector<const anon_vma*> set;
    v.for_each_avc([&](const anon_vma_chain& c) { set.push_back(c.anon_vma); });
    std::sort(set.begin(), set.end());
    return set;
  }

  // I11 for a touched VMA sharing its anon_vma with others of its process:
  // its chain set equals an untouched sharer's (all of which agreed before,
  // and did not change), or, if every sharer is touched, each one's.
  bool check_same_anon_vma(const vm_area_struct& v) {
    const anon_vma* av = v.anon_vma;
    if (!av || av->num_active_vmas() < 2) return true;
    auto sharer = [&](const vm_area_struct* w) {
      return w && w != &v && w->vm_mm == v.vm_mm && w->anon_vma == av;
    };
    const vm_area_struct* ref = nullptr;
    std::vector<const vm_area_struct*> others;
    const mm_struct& mm = *v.vm_mm;
    for (const vm_area_struct* w : {mm.vma_prev(&v), mm.vma_next(&v)})
      if (sharer(w) && !touched(w)) ref = w;
    for (const anon_vma_chain* a = av->rb_root.first(); a && !ref; a = av->rb_root.next(*a)) {
      if (!sharer(a->vma)) continue;
      if (!touched(a->vma))
        ref = a->vma;
      else
        others.push_back(a->vma);
    }
    const auto mine = chain_set(v);
    if (ref) return chain_set(*ref) == mine;
    for (const vm_area_struct* w : others)
      if (chain_set(*w) != mine) return false;
    return true;
  }

  // B3, I10 for one PTE of v, whose chain is read and stamped.
  bool pte_ok(const vm_area_struct& v, std::uint32_t page, const folio* f) {
    if (model::is_zero_page(f)) return v.is_anonymous();
    if (!v.is_anonymous()) return f->shmem == v.shmem && f->index == v.pgoff_of(page);
    if (!f->is_anon() || !v.anon_vma) return false;
    if (!f->mapping || !env_.is_live(f->mapping, f->mapping_id)) return false;
    return on_chain(f->mapping) && f->index == v.pgoff_of(page);
  }
  // Every present PTE of mm in [start, end) against the VMA covering it.
  bool check_range(const mm_struct& mm, std::uint32_t start, std::uint32_t end) {
    auto it = mm.vmas.upper_bound(start);
    if (it != mm.vmas.begin()) --it;
    for (; it != mm.vmas.end() && it->second->vm_start < end; ++it) {
      const vm_area_struct& v = *it->second;
      const std::uint32_t lo = std::max(start, v.vm_start), hi = std::min(end, v.vm_end);
      if (lo >= hi) continue;
      if (!read_chain(v)) return false;
      bool ok = true;
      mm.ptes.for_each_present(
          lo, hi, [&](std::uint32_t page, const folio* f) { ok = ok && pte_ok(v, page, f); });
      if (!ok) return false;
    }
    return true;
  }
  // Does `v` give its pages at least the context `from` gave them?
  bool inherits(const vm_area_struct& v, const vm_area_struct& from) {
    if (v.shmem != from.shmem || v.vm_pgoff - v.vm_start != from.vm_pgoff - from.vm_start ||
        (from.anon_vma && !v.anon_vma))
      return false;
    if (!read_chain(v)) return false;
    bool ok = true;
    from.for_each_avc([&](const anon_vma_chain& c) { ok = ok && on_chain(c.anon_vma); });
    return ok;
  }
  bool check_pages() {
    for (const Touched::Pages& p : t_.pages) {
      const mm_struct* mm = m_.process(p.slot);
      if (mm && !check_range(*mm, p.start, p.end)) return false;
    }
    for (const Touched::Inherit& i : t_.inherits) {
      if (sorted_has(freed_vmas_, i.id)) continue;
      const vm_area_struct& v = *i.vma;
      if (!sorted_has(freed_vmas_, i.from_id) && !sorted_has(context_changed_, i.from_id) &&
          inherits(v, *i.from))
        continue;
      if (!check_range(*v.vm_mm, v.vm_start, v.vm_end)) return false;
    }
    return true;
  }

  // B2 (and I10 once more) for touched folios: an anonymous folio's rmap
  // walk finds exactly mapcount PTEs mapping it (a PTE it cannot find breaks
  // I10, so equality covers both); a shared-memory folio is counted in the
  // VMAs that map its object.
  bool check_folios() {
    std::vector<const folio*> shmem;
    for (const Touched::Folio& t : t_.folios) {
      if (sorted_has(freed_folios_, t.id)) continue;
      const folio* f = t.f;
      if (model::is_zero_page(f)) continue;
      if (!f->is_anon()) {
        shmem.push_back(f);
        continue;
      }
      if (!f->mapping || !env_.is_live(f->mapping, f->mapping_id)) {
        if (f->mapcount) return false;
        continue;
      }
      std::uint32_t found = 0;
      f->mapping->rb_root.for_each_overlap(f->index, f->index, [&](const anon_vma_chain& avc) {
        const vm_area_struct* vma = avc.vma;
        const auto page = static_cast<std::uint32_t>(vma->vm_start + (f->index - vma->vm_pgoff));
        if (vma->vm_mm->ptes.get(page).page == f) ++found;
      });
      if (found != f->mapcount) return false;
    }
    if (shmem.empty()) return true;
    sort_unique(shmem);
    std::vector<std::uint32_t> objects;
    for (const folio* f : shmem) objects.push_back(f->shmem);
    sort_unique(objects);
    std::vector<const vm_area_struct*> mapping;
    for (const mm_struct* mm : all_processes())
      for (const auto& [start, v] : mm->vmas)
        if (v->shmem && sorted_has(objects, v->shmem)) mapping.push_back(v);
    for (const folio* f : shmem) {
      std::uint32_t found = 0;
      for (const vm_area_struct* v : mapping) {
        if (v->shmem != f->shmem || f->index < v->vm_pgoff || f->index - v->vm_pgoff >= v->pages())
          continue;
        const auto page = static_cast<std::uint32_t>(v->vm_start + (f->index - v->vm_pgoff));
        if (v->vm_mm->ptes.get(page).page == f) ++found;
      }
      if (found != f->mapcount) return false;
    }
    return true;
  }

  const model::Machine& m_;
  const Env& env_;
  const Touched& t_;
  std::vector<const mm_struct*> mms_;        // live processes (all_processes())
  std::vector<const vm_area_struct*> vmas_;  // live touched VMAs, sorted
  std::vector<std::uint32_t> freed_vmas_, freed_folios_, context_changed_;
  std::vector<const anon_vma_chain*> chain_;
  std::vector<const anon_vma_chain*> chain_avcs_;  // on touched VMAs' chains, sorted
  std::vector<const anon_vma*> roots_, members_;   // touched families
  std::vector<Fact>* facts_ = nullptr;
  std::uint64_t epoch_ = 0, stamp_ = 0;
};

thread_local std::uint64_t false_alarms = 0;

}  // namespace

std::optional<Finding> check_touched(const model::Machine& machine,
                                     const std::vector<std::string>& process_names) {
  // Nothing recorded what changed, or a design without an incremental
  // checker: only the full check can tell.
  if (!machine.env().tracking_touched() || machine.rmap().kind() != model::DesignKind::anon_vma)
    return check_invariants(machine, process_names);
  if (!Detector(machine).broken()) return std::nullopt;
  auto finding = check_invariants(machine, process_names);
  if (!finding) ++false_alarms;
  return finding;
}

std::uint64_t check_touched_false_alarms() { return false_alarms; }

}  // namespace rmaplab
