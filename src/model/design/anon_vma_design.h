// The anon_vma design: Linux's anon_vma hierarchy (mm/rmap.c), as the model
// has always run it. The work is in src/model/rmap.cc and anon_vma.cc; the
// profile's hooks (profile.h) choose among the rule variants inside it. This
// class only connects the seam (anon_rmap.h) to those functions; the
// anon-vma-lazy design extends it (anon_vma_lazy.cc).
#pragma once

#include "model/anon_rmap.h"
#include "model/rmap.h"

namespace rmaplab::model {

class AnonVmaDesign : public AnonRmap {
 public:
  DesignKind kind() const override { return DesignKind::anon_vma; }

  void mm_init(Env&, mm_struct&) override {}
  void mm_exit(Env&, mm_struct&) override {}

  // The fault runs under the per-VMA lock, which is not enough to look at
  // neighbours: vmf_anon_prepare takes the mmap_lock for read
  // (mmap_read_trylock) around __anon_vma_prepare.
  int prepare(Env& env, vm_area_struct* vma) override {
    env.lock(Lock::mmap_lock_read);
    const int err = anon_vma_prepare(env, vma);
    env.unlock(Lock::mmap_lock_read);
    return err;
  }
  int fork(Env& env, vm_area_struct* vma, vm_area_struct* pvma) override {
    return anon_vma_fork(env, vma, pvma);
  }
  void fork_mm(Env&, mm_struct&, mm_struct&) override {}
  int clone(Env& env, vm_area_struct* dst, const vm_area_struct* src) override {
    return anon_vma_clone(env, dst, src);
  }
  void unlink(Env& env, vm_area_struct* vma) override {
    // An unfaulted VMA has nothing linked; a chain without an anon_vma is
    // left by a failed clone (the pre-fix profiles) and is unlinked too.
    if (vma->anon_vma || !vma->anon_vma_chain.empty()) unlink_anon_vmas(env, vma);
  }

  int before_move(Env&, mm_struct&, vm_area_struct*) override { return 0; }

  void lock_vma(Env& env, const vm_area_struct* vma) override {
    if (vma->anon_vma) anon_vma_lock_write(env, vma->anon_vma);
  }
  void unlock_vma(Env& env, const vm_area_struct* vma) override {
    if (vma->anon_vma) anon_vma_unlock_write(env, vma->anon_vma);
  }
  void vma_moving(vm_area_struct* vma) override { anon_vma_interval_tree_pre_update_vma(vma); }
  void vma_moved(vm_area_struct* vma) override { anon_vma_interval_tree_post_update_vma(vma); }

  void folio_new(Env&, folio* f, vm_area_struct* vma, std::uint32_t page) override {
    folio_add_new_anon_rmap(f, vma, page);
  }
  void folio_reuse(Env&, folio* f, vm_area_struct* vma) override { folio_move_anon_rmap(f, vma); }
  void folio_freed(Env&, folio*) override {}

  std::vector<RmapHit> walk(const folio& f) const override {
    std::vector<RmapHit> hits = rmap_walk_anon(f);
    walk_steps_ += hits.size();
    return hits;
  }
  bool owner_live(const Env& env, const folio& f) const override {
    return f.mapping && env.is_live(f.mapping, f.mapping_id);
  }
  std::vector<DesignObjects> objects() const override { return {}; }
};

}  // namespace rmaplab::model
