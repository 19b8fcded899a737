// The counter-changing operations of struct anon_vma (see anon_vma.h for the
// table), and AVC linking. Models 6.18 mm/rmap.c: anon_vma_alloc plus the
// num_children/num_active_vmas updates of __anon_vma_prepare, anon_vma_fork
// and unlink_anon_vmas, and put_anon_vma/__put_anon_vma.
#include "model/anon_vma.h"

#include "model/env.h"
#include "model/rule.h"
#include "model/vma.h"

namespace rmaplab::model {

anon_vma* dummy_anon_vma() {
  static anon_vma dummy;
  return &dummy;
}

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
  MODEL_RULE(av->is_root() && av->refcount_ == 1 && av->num_children_ == 0 &&
                 av->num_active_vmas_ == 0 && av->rb_root.empty(),
             "anon_vma adopted while in use",
             "anon_vma #{} joins anon_vma #{}'s family but is already in use (refcount {}, "
             "num_children {}, num_active_vmas {}).",
             av->id_, parent->id_, av->refcount_, av->num_children_, av->num_active_vmas_);
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

void anon_vma_uncount_child(anon_vma* av) {
  MODEL_RULE(
      !av->is_root() && av->rb_root.empty() && av->num_active_vmas_ == 0 && av->num_children_ == 0,
      "anon_vma uncounted while in use", "anon_vma #{} is uncounted from its parent but {}.",
      av->id_,
      av->is_root() ? std::string("is a root")
                    : fmt::format("is in use (num_children {}, num_active_vmas {}, {})",
                                  av->num_children_, av->num_active_vmas_,
                                  av->rb_root.empty() ? "no AVCs" : "AVCs in its tree"));
  MODEL_RULE(av->parent_->num_children_ > 0, "num_children underflow",
             "anon_vma #{}'s parent #{} does not count it (num_children 0).", av->id_,
             av->parent_->id_);
  --av->parent_->num_children_;
}

void vma_attach_anon_vma(vm_area_struct* vma, anon_vma* av) {
  MODEL_RULE(!vma->anon_vma, "VMA attached to a second anon_vma",
             "VMA #{} is attached to anon_vma #{} while anon_vma #{} is already its active one.",
             vma->id, av->id_, vma->anon_vma->id_);
  vma->anon_vma = av;
  ++av->num_active_vmas_;
}

void vma_detach_anon_vma(vm_area_struct* vma) {
  anon_vma* av = vma->anon_vma;
  MODEL_RULE(av, "num_active_vmas underflow", "VMA #{} is detached but has no active anon_vma.",
             vma->id);
  MODEL_RULE(av->num_active_vmas_ > 0, "num_active_vmas underflow",
             "VMA #{} detaches from anon_vma #{}, whose num_active_vmas is already 0.", vma->id,
             av->id_);
  --av->num_active_vmas_;
  vma->anon_vma = nullptr;
}

void anon_vma_tree_emptied(anon_vma* av) {
  MODEL_RULE(av->rb_root.empty(), "anon_vma tree emptied while it has AVCs",
             "anon_vma #{} is counted as emptied while AVCs are still linked in its tree.",
             av->id_);
  MODEL_RULE(av->parent_->num_children_ > 0, "num_children underflow",
             "anon_vma #{}'s tree emptied but its parent #{} has num_children 0.", av->id_,
             av->parent_->id_);
  --av->parent_->num_children_;
}

void put_anon_vma(Env& env, anon_vma* av) {
  MODEL_RULE(av->refcount_ > 0, "anon_vma refcount underflow",
             "anon_vma #{} is put with refcount {}.", av->id_, av->refcount_);
  env.touch(av, Touched::kCounters);
  if (--av->refcount_ == 0) __put_anon_vma(env, av);
}

void __put_anon_vma(Env& env, anon_vma* av) {
  // Every path to the free meets here; a family member below this one or a
  // VMA still using it would be left pointing at freed memory (I9).
  MODEL_RULE(av->num_children_ == 0 && av->num_active_vmas_ == 0, "anon_vma freed while in use",
             "anon_vma #{} is freed with num_children {} and num_active_vmas {}.", av->id_,
             av->num_children_, av->num_active_vmas_);
  anon_vma* root = av->root_;
  env.free_anon_vma(av, CallSite::put_anon_vma);
  // A freed child returns its pin on the family root.
  if (root == av) return;
  env.touch(root, Touched::kCounters);
  // Traced where the kernel's build puts that free (Profile::root_free_traced_in_caller):
  // the only caller that frees a child here is unlink_anon_vmas.
  const CallSite site = env.profile().root_free_traced_in_caller ? CallSite::unlink_anon_vmas
                                                                 : CallSite::put_anon_vma;
  if (--root->refcount_ == 0) env.free_anon_vma(root, site);
}

void anon_vma_chain_link(vm_area_struct* vma, anon_vma_chain* avc, anon_vma* av) {
  avc->vma = vma;
  avc->anon_vma = av;
  vma->anon_vma_chain.add(&avc->same_vma);
  av->rb_root.insert(*avc);
}

}  // namespace rmaplab::model
