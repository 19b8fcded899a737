// The COW context design (shared/docs/designs-2026.md §2, from the proof of
// concept in ljs/linux.git project/cow-context: mm/cow_context.c, mm/rmap.c
// with CONFIG_COW_CONTEXT_ANON_RMAP=y). No anon_vma and no anon_vma_chain:
//
//   mm creation     a context, refcnt 1 (the mm's)
//   first fault     vma->anon_vma becomes a sentinel (dummy_anon_vma(), the
//                   PoC's DUMMY_ANON_VMA): the shared VMA code still
//                   reads "has anonymous memory" from it
//   new folio, COW  folio->cow_context = the faulting mm's context (+1)
//   COW reuse       the folio moves to the writer's context if its mm differs
//   fork            VMAs copy the sentinel; after dup_mmap the child's
//                   context hangs under the parent's (+1 on the parent)
//   split, merge    nothing: a VMA's offset (vm_start page - vm_pgoff) is
//                   invariant under both
//   mremap          the moved VMA's new offset is a remap of its context
//   exit            ctx->mm = NULL and the mm's reference goes; a context
//                   lives while children or folios hold it, and its free
//                   drops its parent's reference
//   rmap walk       the folio's context, then every descendant depth first
//                   (post-order): in each live mm, look up the folio's
//                   virtual page at offset 0 and at each remap offset, and
//                   ask the VMA found if it has that offset
//
// Choices where the proof of concept is silent or as coded would be wrong:
//   - The remap tree (remap_mt) is the set of the mm's VMAs with anonymous
//     memory whose offset is not 0, looked up by the folio's index: what
//     cow_context_do_remap / _vma_unmap / _do_fork maintain, without the
//     maple-tree encoding. Its nodes are not counted as objects.
//   - The exclusive early stop (a folio not mapped shared is looked up only
//     in its own context) also looks at that context's remap offsets: as
//     coded it looks at offset 0 only, which misses an exclusive folio in a
//     VMA that mremap moved (the PoC's "TODO: Races?" comment).
//   - sizeof(struct cow_context): 96 bytes, our count of the PoC's fields
//     (mm, parent, children, siblings, refcnt, remap_mt, two spinlocks, rcu;
//     kmalloc-96).
//   - Merges: the shared code sees the sentinel as every faulted VMA's
//     anon_vma and an empty chain, so, as in the PoC, two faulted VMAs may
//     merge and a faulted VMA counts as a fork child (vma_is_fork_child):
//     an unfaulted VMA never merges with a faulted one.
#include "model/design/cow_context.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "model/anon_rmap.h"
#include "model/mm.h"
#include "model/rule.h"
#include "rmaplab/script.h"

namespace rmaplab::model {
namespace {


// A VMA's offset: its first page's virtual page number minus vm_pgoff. 0 for
// a private anonymous VMA that never moved (vm_pgoff is its virtual page at
// first fault).
std::int64_t vma_offset(const vm_area_struct& vma) {
  return static_cast<std::int64_t>(kArenaPgoff + vma.vm_start) -
         static_cast<std::int64_t>(vma.vm_pgoff);
}

class CowContextDesign final : public AnonRmap {
 public:
  DesignKind kind() const override { return DesignKind::cow_context; }

  void mm_init(Env&, mm_struct& mm) override {  // mm_init_cow_context
    auto* ctx = new cow_context{};
    ctx->mm = &mm;
    ctx->id = next_id_++;
    mm.cow_context = ctx;
    contexts_.insert(ctx);
    ++objects_.allocated;
    objects_.peak = std::max(objects_.peak, objects_.live());
  }
  void mm_exit(Env&, mm_struct& mm) override {  // drop_cow_context
    cow_context* ctx = mm.cow_context;
    if (!ctx) return;
    remapped_.erase(&mm);
    ctx->mm = nullptr;
    mm.cow_context = nullptr;
    put(ctx);
  }

  int prepare(Env& env, vm_area_struct* vma) override {
    // vmf_anon_prepare's mmap_lock, as in the anon_vma design; then
    // __anon_vma_prepare sets the sentinel under mm->page_table_lock.
    env.count_lock(Lock::mmap_lock_read);
    env.count_lock(Lock::page_table_lock);
    vma->anon_vma = dummy_anon_vma();
    env.touch(vma);
    track(vma);
    return 0;
  }
  int fork(Env& env, vm_area_struct* vma, vm_area_struct* pvma) override {
    if (!pvma->anon_vma) return 0;
    vma->anon_vma = dummy_anon_vma();  // anon_vma_fork copies the pointer
    env.touch(vma);
    pending_.push_back(vma);  // tracked once it is in the child's mm (fork_mm)
    return 0;
  }
  void fork_mm(Env&, mm_struct& child, mm_struct& parent) override {  // dup_cow_context
    cow_context* c = child.cow_context;
    cow_context* p = parent.cow_context;
    MODEL_RULE(c && p && !c->parent, "cow_context forked twice",
               "The context of process {} gets a parent a second time.", child.slot);
    c->parent = p;
    p->children.insert(p->children.begin(), c);
    ++p->refcnt;
    for (vm_area_struct* v : pending_) track(v);  // cow_context_do_fork
    pending_.clear();
  }
  int clone(Env& env, vm_area_struct* dst, const vm_area_struct* src) override {
    if (!src->anon_vma) return 0;
    dst->anon_vma = dummy_anon_vma();
    env.touch(dst);
    // A split piece or a merge target keeps src's offset; an mremap copy
    // has its own (cow_context_do_remap). The copy is tracked once linked.
    track(dst);
    return 0;
  }
  void unlink(Env& env, vm_area_struct* vma) override {  // unlink_anon_vmas, _vma_unmap
    pending_.erase(std::remove(pending_.begin(), pending_.end(), vma), pending_.end());
    if (!vma->anon_vma) return;
    untrack(vma);
    vma->anon_vma = nullptr;
    env.touch(vma);
  }

  int before_move(Env&, mm_struct&, vm_area_struct*) override { return 0; }

  // No anon_vma lock, and the walk's index (the mm's VMA tree and the remap
  // set) follows the VMA by itself.
  void lock_vma(Env&, const vm_area_struct*) override {}
  void unlock_vma(Env&, const vm_area_struct*) override {}
  void vma_moving(vm_area_struct*) override {}
  void vma_moved(vm_area_struct* vma) override {
    if (vma->anon_vma) track(vma);  // an mremap copy gets its offset now
  }

  void folio_new(Env&, folio* f, vm_area_struct* vma, std::uint32_t page) override {
    cow_context* ctx = vma->vm_mm->cow_context;
    ++ctx->refcnt;
    f->cow_context = ctx;
    f->index = vma->pgoff_of(page);
    f->anon_exclusive = true;
  }
  void folio_reuse(Env&, folio* f, vm_area_struct* vma) override {  // folio_move_anon_rmap
    cow_context* ctx = vma->vm_mm->cow_context;
    cow_context* old = f->cow_context;
    if (old && old->mm == vma->vm_mm) return;
    ++ctx->refcnt;
    f->cow_context = ctx;
    if (old) put(old);
  }
  void folio_freed(Env&, folio* f) override {
    if (cow_context* ctx = f->cow_context) {
      f->cow_context = nullptr;
      put(ctx);
    }
  }

  std::vector<RmapHit> walk(const folio& f) const override {  // cow_context_walk
    std::vector<RmapHit> hits;
    if (!f.cow_context) return hits;
    walk_context(*f.cow_context, f, hits);
    // An exclusive folio found in its own context's mm is mapped nowhere else.
    if (f.anon_exclusive &&
        std::any_of(hits.begin(), hits.end(), [](const RmapHit& h) { return h.maps; }))
      return hits;
    for (const cow_context* child : f.cow_context->children) walk_subtree(*child, f, hits);
    return hits;
  }

  bool owner_live(const Env&, const folio& f) const override {
    return f.cow_context && contexts_.count(f.cow_context);
  }

  std::vector<DesignObjects> objects() const override { return {objects_}; }

  ~CowContextDesign() override {
    for (cow_context* ctx : contexts_) delete ctx;
  }

 private:
  void walk_subtree(const cow_context& ctx, const folio& f, std::vector<RmapHit>& hits) const {
    walk_context(ctx, f, hits);
    for (const cow_context* child : ctx.children) walk_subtree(*child, f, hits);
  }

  // walk_context: offset 0, then each remap offset of this mm over the folio.
  void walk_context(const cow_context& ctx, const folio& f, std::vector<RmapHit>& hits) const {
    ++walk_steps_;  // the context itself, live or not
    if (!ctx.mm) return;
    ++walk_steps_;
    lookup(*ctx.mm, f, 0, hits);
    auto it = remapped_.find(ctx.mm);
    if (it == remapped_.end()) return;
    std::vector<std::int64_t> offsets;
    for (const vm_area_struct* v : it->second) {
      const std::int64_t off = vma_offset(*v);
      if (off != 0 && f.index >= v->vm_pgoff && f.index < v->vm_pgoff + v->pages() &&
          std::find(offsets.begin(), offsets.end(), off) == offsets.end())
        offsets.push_back(off);
    }
    std::sort(offsets.begin(), offsets.end());
    walk_steps_ += offsets.size();
    for (std::int64_t off : offsets) lookup(*ctx.mm, f, off, hits);
  }

  // walk_context_remap for one offset: the VMA at the folio's virtual page
  // plus `off`, if it is a VMA of that offset.
  static void lookup(const mm_struct& mm, const folio& f, std::int64_t off,
                     std::vector<RmapHit>& hits) {
    const std::int64_t page = static_cast<std::int64_t>(f.index) + off -
                              static_cast<std::int64_t>(kArenaPgoff);
    if (page < 0 || page >= static_cast<std::int64_t>(kArenaPages)) return;
    const auto p = static_cast<std::uint32_t>(page);
    const vm_area_struct* vma = mm.vma_lookup(p);
    if (!vma || !vma->anon_vma || !vma->is_anonymous() || vma_offset(*vma) != off) return;
    hits.push_back({vma, p, mm.ptes.get(p).page == &f});
  }

  // should_track_remap: a VMA with anonymous memory at a non-zero offset.
  void track(vm_area_struct* vma) {
    if (!vma->vm_mm || !vma->anon_vma) return;
    auto& set = remapped_[vma->vm_mm];
    if (vma_offset(*vma) != 0)
      set.insert(vma);
    else
      set.erase(vma);
  }
  void untrack(vm_area_struct* vma) {
    auto it = remapped_.find(vma->vm_mm);
    if (it != remapped_.end()) it->second.erase(vma);
  }

  void put(cow_context* ctx) {  // put_cow_context / __put_cow_context
    while (ctx) {
      MODEL_RULE(ctx->refcnt > 0, "cow_context refcount underflow",
                 "cow_context #{} is put with refcount {}.", ctx->id, ctx->refcnt);
      if (--ctx->refcnt > 0) return;
      MODEL_RULE(ctx->children.empty() && !ctx->mm, "cow_context freed while in use",
                 "cow_context #{} is freed with {} children{}.", ctx->id, ctx->children.size(),
                 ctx->mm ? " and a live mm" : "");
      cow_context* parent = ctx->parent;
      if (parent) {
        auto& sib = parent->children;
        sib.erase(std::remove(sib.begin(), sib.end(), ctx), sib.end());
      }
      contexts_.erase(ctx);
      delete ctx;
      ++objects_.freed;
      ctx = parent;  // the child's reference on its parent goes with it
    }
  }

  std::unordered_set<cow_context*> contexts_;  // live
  std::unordered_map<const mm_struct*, std::unordered_set<const vm_area_struct*>> remapped_;
  std::vector<vm_area_struct*> pending_;  // forked VMAs not yet in the child's mm
  std::uint32_t next_id_ = 1;
  DesignObjects objects_{"cow_context", 96};
};

}  // namespace

std::unique_ptr<AnonRmap> make_cow_context_design() {
  return std::make_unique<CowContextDesign>();
}

}  // namespace rmaplab::model
