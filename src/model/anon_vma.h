// struct anon_vma and struct anon_vma_chain, and the only operations that
// change an anon_vma's counters. Models Linux 6.18 mm/rmap.c and
// include/linux/rmap.h; see the field guide §1 and §5.
//
// The counters are private. They change only where what they count changes:
//
//   operation                     refcount        num_children      num_active_vmas
//   anon_vma_create_root          = 1             = 1 (self link)    = 0
//   anon_vma_create_child(p)      = 1, root +1    p +1               = 0
//   anon_vma_make_child(av, p)    root +1         p +1
//   vma_attach_anon_vma(v, av)                                       av +1
//   vma_detach_anon_vma(v)                                           av -1
//   anon_vma_tree_emptied(av)                     parent -1
//   anon_vma_uncount_child(av)                    parent -1
//   put_anon_vma(av)              -1 (at 0, __put_anon_vma frees it; a freed
//                                  non-root drops its pin on the root)
//
// (Env::alloc_anon_vma hands out a bare object, refcount 1 and no counts, its
// own root: anon_vma_create_* start from it, and a profile whose fork
// allocates before it knows the parent adopts it with anon_vma_make_child.)
// Nothing else writes a counter. Every function that links or unlinks an AVC
// or a VMA goes through these, so a reader can check the accounting here,
// in one screen, instead of across rmap.c. Each checks the rule that keeps
// its counter meaningful (no underflow, no second active anon_vma, no free
// of an anon_vma still in use) in every build: a broken one throws
// RuleBroken (rule.h).
//
// Left out on purpose: the rwsem (the model is single-threaded; lock
// acquisitions are counted by the environment instead), SLAB_TYPESAFE_BY_RCU
// and transient references (folio_get_anon_vma, KSM): none of the workload
// language's operations take them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/interval_tree.h"
#include "model/list.h"
#include "rmaplab/event.h"

namespace rmaplab::model {

struct vm_area_struct;
struct anon_vma;
class Env;

// One link between a VMA and an anon_vma: on the VMA's same_vma list and in
// the anon_vma's interval tree, keyed by the VMA's page-offset range.
// 64 bytes, as in the kernel.
struct anon_vma_chain {
  vm_area_struct* vma = nullptr;
  struct anon_vma* anon_vma = nullptr;
  list_head same_vma;
  interval_node rb;

  static anon_vma_chain* from_same_vma(list_head* n) {
    return reinterpret_cast<anon_vma_chain*>(reinterpret_cast<char*>(n) -
                                             offsetof(anon_vma_chain, same_vma));
  }
  static const anon_vma_chain* from_same_vma(const list_head* n) {
    return from_same_vma(const_cast<list_head*>(n));
  }
};

// Interval-tree keys of an AVC: its VMA's [vm_pgoff, vm_pgoff + pages - 1].
struct avc_interval {
  static std::uint64_t start(const anon_vma_chain& avc);
  static std::uint64_t last(const anon_vma_chain& avc);
};

using avc_tree = interval_tree<anon_vma_chain, &anon_vma_chain::rb, avc_interval>;

struct anon_vma {
  anon_vma* root() const { return root_; }
  anon_vma* parent() const { return parent_; }
  int refcount() const { return refcount_; }
  int num_children() const { return num_children_; }
  int num_active_vmas() const { return num_active_vmas_; }
  bool is_root() const { return root_ == this; }
  std::uint32_t id() const { return id_; }

  // The AVCs of every VMA linked to this anon_vma (the rmap walk's index).
  avc_tree rb_root;

 private:
  anon_vma() = default;

  anon_vma* root_ = this;
  anon_vma* parent_ = this;
  int refcount_ = 1;
  int num_children_ = 0;
  int num_active_vmas_ = 0;
  std::uint32_t id_ = 0;
  std::uint32_t slot_ = 0;  // index in the Env's live list

  friend class Env;  // constructs and destroys
  friend anon_vma* anon_vma_create_root(Env&, CallSite site);
  friend anon_vma* anon_vma_create_child(Env&, CallSite site, anon_vma* parent);
  friend void anon_vma_make_child(Env& env, anon_vma* av, anon_vma* parent);
  friend void vma_attach_anon_vma(vm_area_struct* vma, anon_vma* av);
  friend void vma_detach_anon_vma(vm_area_struct* vma);
  friend void anon_vma_tree_emptied(anon_vma* av);
  friend void anon_vma_uncount_child(anon_vma* av);
  friend void put_anon_vma(Env& env, anon_vma* av);
  friend void __put_anon_vma(Env& env, anon_vma* av);
  friend struct anon_vma_test_access;  // the checker's negative tests
  friend anon_vma* dummy_anon_vma();
};

// The cow-context design's vma->anon_vma (the proof of concept's
// DUMMY_ANON_VMA): "this VMA has anonymous memory" and nothing else. An
// object with id 0 that is in no family, counted nowhere and never freed,
// so code that reads vma->anon_vma's fields reads zeros, not freed memory.
anon_vma* dummy_anon_vma();

// Allocates a new family root: its own parent and root, refcount 1 (the
// "still linked" reference), num_children 1 (the self link). Null when the
// environment injects an allocation failure. `site` is the kernel function charged with the
// allocation.
anon_vma* anon_vma_create_root(Env& env, CallSite site);

// Allocates a child of `parent` in parent's family: pins the family root
// (refcount +1 on the root, returned when this object is freed) and counts
// itself in parent->num_children. Null on injected allocation failure.
anon_vma* anon_vma_create_child(Env& env, CallSite site, anon_vma* parent);

// A bare anon_vma (fresh from Env::alloc_anon_vma, linked nowhere) joins
// parent's family as its child: what anon_vma_create_child does after
// allocating.
void anon_vma_make_child(Env& env, anon_vma* av, anon_vma* parent);

// vma->anon_vma = av, and av counts one more active VMA.
void vma_attach_anon_vma(vm_area_struct* vma, anon_vma* av);
// The reverse; vma->anon_vma becomes null.
void vma_detach_anon_vma(vm_area_struct* vma);

// av's interval tree just lost its last AVC: av no longer counts as a live
// child of its parent (for a root: drops the self link).
void anon_vma_tree_emptied(anon_vma* av);

// anon_vma_fork's unwind (out_error_free_anon_vma) of a child it created but
// could not link: the kernel counts a child in its parent only once linked,
// the model when it creates it, so the unwind takes that count back before
// put_anon_vma frees the child. av must never have been linked or used.
void anon_vma_uncount_child(anon_vma* av);

// Drops one reference; at zero, __put_anon_vma.
void put_anon_vma(Env& env, anon_vma* av);

// Frees av (its refcount is 0; nothing below it in the family and no VMA may
// still use it); a freed non-root then drops its pin on the root, which may
// free the root too.
void __put_anon_vma(Env& env, anon_vma* av);

// AVC list plumbing on a VMA's same_vma list and an anon_vma's tree. These
// change no counter.
void anon_vma_chain_link(vm_area_struct* vma, anon_vma_chain* avc, anon_vma* av);

}  // namespace rmaplab::model
