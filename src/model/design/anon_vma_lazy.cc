// The ANON_VMA_LAZY design, an extension of the anon_vma design (tao / wangtao, Honor, "[PATCH 0/15] mm:
// introduce ANON_VMA_LAZY for deferred anon_vma creation", 27 May 2026;
// shared/docs/designs-2026.md §1), on the 6.18 rules of the anon_vma design
// so that a comparison with linux-6.18 isolates the design:
//
//   first fault    no anon_vma, no AVC: the folio points at its "lazy root
//                  VMA" (folio->lazy_mm, lazy_off: the mm and the mapping
//                  base, vm_start - vm_pgoff, which split, merge and munmap
//                  keep); vma->anon_vma stays null (patch 10)
//   rmap walk      a lazy folio: look its page up in that mm and accept the
//                  VMA with the same mapping base (the inference the record
//                  allows, §1.2 item 4); otherwise the anon_vma walk
//   fork           the parent VMA is upgraded first: one that was faulted
//                  lazily gets an anon_vma (__anon_vma_prepare), one that was
//                  inherited gets its own (below), and its lazy folios are
//                  repointed (try_dup_anon_rmap); the child VMA is
//                  ANON_VMA_TREE_PARENT: linked into the parent's anon_vmas
//                  with AVCs, its vma->anon_vma the parent's, no anon_vma of
//                  its own (patch 10: "do not allocate anon_vma")
//   child's folios a COW copy or a first fault in an inherited VMA is lazy
//                  too: only that mm maps it
//
// Choices where the record is silent (§1.2 items 5, 6; §1.4):
//   - An inherited VMA's upgrade (its own fork, or a move) applies 6.18's
//     reuse rule to its chain, root first, not counting itself among the
//     anon_vma's active VMAs; failing that it allocates a child of the
//     anon_vma it inherited, with its AVC (anon_vma_fork's second half).
//     "Upgraded VMAs fall back to the normal anon_vma rules" (patch 10).
//     Without the reuse a fork chain would grow without bound, the 2015 bug.
//   - mremap moving a VMA with lazy folios upgrades it first: the mapping
//     base changes with vm_start, so the lazy walk would lose the folios.
//   - Merges see a lazily faulted VMA as unfaulted (its anon_vma is null),
//     as the kernel's vma.c does unless the patch changed it (not read):
//     its lazy folios stay findable, the mapping base being kept.
//   - VMA pinning and the RCU rules reviewers doubted are not modelled: the
//     model is single-threaded and a lazy folio is only mapped in its mm.
#include <algorithm>
#include <cerrno>
#include <memory>

#include "model/design/anon_vma_design.h"
#include "model/mm.h"
#include "rmaplab/script.h"

namespace rmaplab::model {
namespace {

std::int64_t vma_offset(const vm_area_struct& vma) {
  return static_cast<std::int64_t>(kArenaPgoff + vma.vm_start) -
         static_cast<std::int64_t>(vma.vm_pgoff);
}

// Does the VMA own its anon_vma (not lazy, not inherited)?
bool owns_anon_vma(const vm_area_struct& vma) { return vma.anon_vma && !vma.lazy_parent; }

class AnonVmaLazyDesign final : public AnonVmaDesign {
 public:
  DesignKind kind() const override { return DesignKind::anon_vma_lazy; }

  // vma_prepare_anon_vma_lazy: nothing to allocate, no mmap_lock (the lazy
  // check comes before __vmf_anon_prepare's mmap_read_trylock).
  int prepare(Env&, vm_area_struct*) override { return 0; }

  int fork(Env& env, vm_area_struct* vma, vm_area_struct* pvma) override {
    if (int err = upgrade(env, pvma)) return err;
    if (!pvma->anon_vma) return 0;  // nothing anonymous to share
    // ANON_VMA_TREE_PARENT: the parent's chain and anon_vma, nothing of its own.
    if (int err = anon_vma_clone(env, vma, pvma)) return err;
    vma->lazy_parent = true;
    return 0;
  }

  int clone(Env& env, vm_area_struct* dst, const vm_area_struct* src) override {
    if (int err = anon_vma_clone(env, dst, src)) return err;
    dst->lazy_parent = src->lazy_parent && dst->anon_vma;
    return 0;
  }
  void unlink(Env& env, vm_area_struct* vma) override {
    AnonVmaDesign::unlink(env, vma);
    vma->lazy_parent = false;
  }
  int before_move(Env& env, mm_struct&, vm_area_struct* vma) override {
    return upgrade(env, vma);
  }

  void folio_new(Env&, folio* f, vm_area_struct* vma, std::uint32_t page) override {
    f->index = vma->pgoff_of(page);
    f->anon_exclusive = true;
    point(f, *vma);
  }
  void folio_reuse(Env&, folio* f, vm_area_struct* vma) override { point(f, *vma); }

  std::vector<RmapHit> walk(const folio& f) const override {
    if (!f.lazy_mm) return AnonVmaDesign::walk(f);
    std::vector<RmapHit> hits;
    ++walk_steps_;  // one lookup in the lazy root VMA's mm
    const std::int64_t page = static_cast<std::int64_t>(f.index) + f.lazy_off -
                              static_cast<std::int64_t>(kArenaPgoff);
    if (page < 0 || page >= static_cast<std::int64_t>(kArenaPages)) return hits;
    const auto p = static_cast<std::uint32_t>(page);
    const vm_area_struct* vma = f.lazy_mm->vma_lookup(p);
    if (vma && vma->is_anonymous() && vma_offset(*vma) == f.lazy_off)
      hits.push_back({vma, p, f.lazy_mm->ptes.get(p).page == &f});
    return hits;
  }
  bool owner_live(const Env& env, const folio& f) const override {
    if (f.lazy_mm) return true;  // mapped only in its mm, which is alive while it maps it
    return AnonVmaDesign::owner_live(env, f);
  }

 private:
  // A folio of `vma` points at the VMA's own anon_vma, or lazily at the VMA.
  static void point(folio* f, const vm_area_struct& vma) {
    if (owns_anon_vma(vma)) {
      folio_move_anon_rmap(f, const_cast<vm_area_struct*>(&vma));
      f->lazy_mm = nullptr;
      return;
    }
    f->mapping = nullptr;
    f->mapping_id = 0;
    f->lazy_mm = vma.vm_mm;
    f->lazy_off = vma_offset(vma);
  }

  // Gives `vma` an anon_vma of its own if it has anonymous folios, and
  // points every lazy folio it maps at it.
  int upgrade(Env& env, vm_area_struct* vma) {
    if (!vma->is_anonymous()) return 0;
    if (vma->lazy_parent) {
      if (int err = adopt_own(env, vma)) return err;
    } else if (!vma->anon_vma) {
      if (!has_lazy_folios(*vma)) return 0;  // never faulted: stays so
      env.count_lock(Lock::mmap_lock_read);  // __anon_vma_prepare, as a fault would
      if (int err = anon_vma_prepare(env, vma)) return err;
    }
    mm_struct& mm = *vma->vm_mm;
    mm.ptes.for_each_present(vma->vm_start, vma->vm_end, [&](std::uint32_t page, const folio* cf) {
      folio* f = const_cast<folio*>(cf);
      if (is_zero_page(f) || !f->lazy_mm) return;
      folio_move_anon_rmap(f, vma);
      f->lazy_mm = nullptr;
      env.touch(f);
      env.touch_pages(mm.slot, page, page + 1);
    });
    return 0;
  }

  static bool has_lazy_folios(const vm_area_struct& vma) {
    bool any = false;
    vma.vm_mm->ptes.for_each_present(vma.vm_start, vma.vm_end, [&](std::uint32_t, const folio* f) {
      any = any || (!is_zero_page(f) && f->lazy_mm);
    });
    return any;
  }

  // An inherited VMA gets an anon_vma of its own: one on its chain nobody
  // else uses (the profile's reuse rule, itself not counted), or a new child
  // of the one it inherited.
  int adopt_own(Env& env, vm_area_struct* vma) {
    anon_vma* inherited = vma->anon_vma;
    anon_vma* chosen = nullptr;
    const list_head& chain = vma->anon_vma_chain;
    for (const list_head* n = chain.prev; n != &chain && !chosen; n = n->prev) {
      anon_vma* av = anon_vma_chain::from_same_vma(n)->anon_vma;
      const ReuseCandidate seen{av->num_children(),
                                av->num_active_vmas() - (av == inherited ? 1 : 0),
                                av == inherited};
      const bool reuse = env.profile().fork_may_reuse(seen);
      env.note_reuse(av, vma->vm_start, seen, reuse);
      if (reuse) chosen = av;
    }
    env.touch(vma);
    if (chosen) {
      env.cover(Path::fork_reused_anon_vma);
      env.touch(inherited, Touched::kActive);
      env.touch(chosen, Touched::kActive);
      vma_detach_anon_vma(vma);
      vma_attach_anon_vma(vma, chosen);
      vma->lazy_parent = false;
      return 0;
    }
    anon_vma* av = anon_vma_create_child(env, CallSite::anon_vma_fork, inherited);
    if (!av) return -ENOMEM;
    anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_fork);
    if (!avc) {
      anon_vma_uncount_child(av);
      put_anon_vma(env, av);
      return -ENOMEM;
    }
    env.touch(inherited, Touched::kActive);
    env.touch(av, Touched::kActive);
    anon_vma_lock_write(env, av);
    vma_detach_anon_vma(vma);
    vma_attach_anon_vma(vma, av);
    anon_vma_chain_link(vma, avc, av);
    env.touch_insert(avc);
    env.touch_chain_link(+1);
    anon_vma_unlock_write(env, av);
    vma->lazy_parent = false;
    env.cover(Path::fork_new_anon_vma);
    return 0;
  }
};

}  // namespace

std::unique_ptr<AnonRmap> make_anon_vma_lazy_design() {
  return std::make_unique<AnonVmaLazyDesign>();
}

}  // namespace rmaplab::model
