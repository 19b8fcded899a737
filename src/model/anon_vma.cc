// The counter-changing operations of struct anon_vma (see anon_vma.h for the
// table), and AVC linking. Models 6.18 mm/rmap.c: anon_vma_alloc plus the
// num_children/num_active_vmas updates of __anon_vma_prepare, anon_vma_fork
// and unlink_anon_vmas, and put_anon_vma/__put_anon_vma.
#include "model/anon_vma.h"

#include <cassert>

#include "model/env.h"
#include "model/vma.h"

namespace rmaplab::model {

std::uint64_t avc_interval::start(const anon_vma_chain& avc) { return avc.vma->vm_pgoff; }
std::uint64_t avc_interval::last(const anon_vma_chain& avc) {
  return avc.vma->vm_pgoff + avc.vma->pages() - 1;
}

namespace {

// Profile::alloc_takes_root_lock (rfc-v2): the allocator counts the new
// anon_vma in its parent under the family's root write lock.
void count_in_parent(Env& env, anon_vma* parent_root, int& num_children) {
  const bool lock = env.profile().alloc_takes_root_lock;
  if (lock) env.lock(Lock::anon_vma_root_write, parent_root);
  ++num_children;
  if (lock) env.unlock(Lock::anon_vma_root_write, parent_root);
}

}  // namespace

anon_vma* anon_vma_create_root(Env& env, CallSite site) {
  anon_vma* av = env.alloc_anon_vma(site);
  if (!av) return nullptr;
  env.touch(av, Touched::kCounters);
  count_in_parent(env, av, av->num_children_);  // a root is its own parent: the self link
  return av;
}

void anon_vma_make_child(Env& env, anon_vma* av, anon_vma* parent) {
  assert(av->is_root() && av->refcount_ == 1 && av->num_children_ == 0 &&
         av->num_active_vmas_ == 0 && av->rb_root.empty() && "adopting a used anon_vma");
  env.touch(av, Touched::kLinks | Touched::kCounters);  // and its parent's and root's counters
  av->parent_ = parent;
  av->root_ = parent->root_;
  // The root's rwsem guards the whole family, so it must outlive this child.
  ++av->root_->refcount_;
  count_in_parent(env, av->root_, parent->num_children_);
}

anon_vma* anon_vma_create_child(Env& env, CallSite site, anon_vma* parent) {
  anon_vma* av = env.alloc_anon_vma(site);
  if (!av) return nullptr;
  anon_vma_make_child(env, av, parent);
  return av;
}

void vma_attach_anon_vma(vm_area_struct* vma, anon_vma* av) {
  assert(!vma->anon_vma && "attach: the VMA already has an active anon_vma");
  vma->anon_vma = av;
  ++av->num_active_vmas_;
}

void vma_detach_anon_vma(vm_area_struct* vma) {
  anon_vma* av = vma->anon_vma;
  assert(av && av->num_active_vmas_ > 0 && "detach: num_active_vmas would underflow");
  --av->num_active_vmas_;
  vma->anon_vma = nullptr;
}

void anon_vma_tree_emptied(anon_vma* av) {
  assert(av->rb_root.empty());
  assert(av->parent_->num_children_ > 0 && "num_children would underflow");
  --av->parent_->num_children_;
}

void put_anon_vma(Env& env, anon_vma* av) {
  assert(av->refcount_ > 0);
  env.touch(av, Touched::kCounters);
  if (--av->refcount_ > 0) return;
  // __put_anon_vma: free, then return the child's pin on the root.
  assert(av->num_children_ == 0 && av->num_active_vmas_ == 0 &&
         "I9: an anon_vma is freed only once its family below it is gone");
  anon_vma* root = av->root_;
  env.free_anon_vma(av, CallSite::put_anon_vma);
  if (root == av) return;
  env.touch(root, Touched::kCounters);
  if (--root->refcount_ == 0) env.free_anon_vma(root, CallSite::put_anon_vma);
}

void anon_vma_chain_link(vm_area_struct* vma, anon_vma_chain* avc, anon_vma* av) {
  avc->vma = vma;
  avc->anon_vma = av;
  vma->anon_vma_chain.add(&avc->same_vma);
  av->rb_root.insert(*avc);
}

}  // namespace rmaplab::model
