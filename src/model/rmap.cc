// The anon_vma lifecycle (6.18 mm/rmap.c) and the rmap walk.
#include "model/rmap.h"

#include <cerrno>

#include "model/mm.h"
#include "model/rule.h"

namespace rmaplab::model {
namespace {

// anon_vma_compatible: could a and b (adjacent, a below b) share an anon_vma?
// Flags may differ only in access bits; pgoff must be linear.
bool anon_vma_compatible(const vm_area_struct& a, const vm_area_struct& b) {
  return a.vm_end == b.vm_start && a.shmem == b.shmem &&
         ((a.vm_flags ^ b.vm_flags) & ~VM_ACCESS_FLAGS) == 0 &&
         b.vm_pgoff == a.vm_pgoff + (b.vm_start - a.vm_start);
}

// reusable_anon_vma: old's anon_vma, if old is compatible and not a fork child.
anon_vma* reusable_anon_vma(const vm_area_struct& old, const vm_area_struct& a,
                            const vm_area_struct& b) {
  if (anon_vma_compatible(a, b) && old.anon_vma && old.anon_vma_chain.singular())
    return old.anon_vma;
  return nullptr;
}

// lock_anon_vma_root: a chain walk takes its family's root write lock once
// (every anon_vma on one chain has the same root) and keeps it.
const anon_vma* lock_anon_vma_root(Env& env, const anon_vma* root, const anon_vma* av) {
  const anon_vma* new_root = av->root();
  if (new_root != root) {
    if (root) env.unlock(Lock::anon_vma_root_write, root);
    root = new_root;
    env.lock(Lock::anon_vma_root_write, root);
  }
  return root;
}

void unlock_anon_vma_root(Env& env, const anon_vma* root) {
  if (root) env.unlock(Lock::anon_vma_root_write, root);
}

// What Profile::fork_may_reuse sees of `av`, an anon_vma on pvma's chain.
ReuseCandidate reuse_candidate(const anon_vma& av, const vm_area_struct& pvma) {
  return {av.num_children(), av.num_active_vmas(), &av == pvma.anon_vma};
}

// Both clones start from a VMA with no links of its own.
void require_unlinked(const vm_area_struct* dst, const char* op) {
  MODEL_RULE(dst->anon_vma_chain.empty() && !dst->anon_vma, "clone into a VMA that has links",
             "{} into VMA #{}, which is already linked (active anon_vma {}, chain length {}).", op,
             dst->id, dst->anon_vma ? fmt::format("#{}", dst->anon_vma->id()) : std::string("none"),
             dst->anon_vma_chain.size());
}

// The body of anon_vma_clone: links dst into every anon_vma on src's chain,
// root first, so dst's list ends in src's order; then dst's active anon_vma
// becomes src's (split, merge, mremap) or, for fork, the first one on the
// way the profile lets it reuse, if any. All under the root lock, taken
// once. On allocation failure nothing is left linked: -ENOMEM.
int clone_chain(Env& env, vm_area_struct* dst, const vm_area_struct* src, bool fork) {
  const Profile& profile = env.profile();
  anon_vma* active = nullptr;
  auto consider = [&](anon_vma* av) {
    if (!fork || active) return;
    const ReuseCandidate seen = reuse_candidate(*av, *src);
    const bool reuse = profile.fork_may_reuse(seen);
    env.note_reuse(av, src->vm_start, seen, reuse);
    if (!reuse) return;
    active = av;
    if (profile.clone_attaches_reuse_in_walk) {  // rfc-v1: attached (and counted) at once
      env.touch(dst);
      env.touch(av, Touched::kActive);
      vma_attach_anon_vma(dst, av);
    }
  };
  const anon_vma* root = nullptr;
  const list_head& chain = src->anon_vma_chain;
  if (profile.clone_allocates_unlocked) {
    // Every AVC first, on dst's list only; a failure frees them, no tree
    // has seen one yet. Then one lock to put them in the trees. Walking src
    // from its head (Profile::clone_reverses_chain) reverses dst's list.
    const bool from_head = profile.clone_reverses_chain;
    for (const list_head* n = from_head ? chain.next : chain.prev; n != &chain;
         n = from_head ? n->next : n->prev) {
      anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_clone);
      if (!avc) {
        while (!dst->anon_vma_chain.empty()) {
          list_head* first = dst->anon_vma_chain.next;
          first->del();
          env.touch_chain_link(-1);
          env.free_avc(anon_vma_chain::from_same_vma(first), CallSite::anon_vma_clone);
        }
        return -ENOMEM;
      }
      avc->vma = dst;
      avc->anon_vma = anon_vma_chain::from_same_vma(n)->anon_vma;
      dst->anon_vma_chain.add(&avc->same_vma);
      env.touch_chain_link(+1);
    }
    for (list_head* n = dst->anon_vma_chain.prev; n != &dst->anon_vma_chain; n = n->prev) {
      anon_vma_chain* avc = anon_vma_chain::from_same_vma(n);
      root = lock_anon_vma_root(env, root, avc->anon_vma);
      avc->anon_vma->rb_root.insert(*avc);
      env.touch_insert(avc);
      consider(avc->anon_vma);
    }
  } else {
    for (const list_head* n = chain.prev; n != &chain; n = n->prev) {
      anon_vma* av = anon_vma_chain::from_same_vma(n)->anon_vma;
      anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_clone);
      if (!avc) {
        unlock_anon_vma_root(env, root);
        // The kernel clears dst->anon_vma, then unlinks. Only a reuse
        // attached in the walk (rfc-v1) has set it: its count stays.
        dst->anon_vma = nullptr;
        unlink_anon_vmas(env, dst);
        return -ENOMEM;
      }
      root = lock_anon_vma_root(env, root, av);
      anon_vma_chain_link(dst, avc, av);
      env.touch_chain_link(+1);
      env.touch_insert(avc);
      consider(av);
    }
  }
  if (!fork) active = src->anon_vma;
  env.touch(dst);  // before the attach: the checker wants its anon_vma before
  if (active && dst->anon_vma != active) {
    env.touch(active, Touched::kActive);
    if (fork || profile.clone_counts_active_vma)
      vma_attach_anon_vma(dst, active);
    else
      dst->anon_vma = active;  // rfc-v1: shared but not counted in num_active_vmas
  }
  unlock_anon_vma_root(env, root);
  return 0;
}

}  // namespace

anon_vma* find_mergeable_anon_vma(const vm_area_struct* vma) {
  const mm_struct& mm = *vma->vm_mm;
  if (const vm_area_struct* next = mm.vma_next(vma))
    if (anon_vma* av = reusable_anon_vma(*next, *vma, *next)) return av;
  if (const vm_area_struct* prev = mm.vma_prev(vma)) return reusable_anon_vma(*prev, *prev, *vma);
  return nullptr;
}

void anon_vma_lock_write(Env& env, const anon_vma* av) {
  env.lock(Lock::anon_vma_root_write, av->root());
}

void anon_vma_unlock_write(Env& env, const anon_vma* av) {
  env.unlock(Lock::anon_vma_root_write, av->root());
}

int anon_vma_prepare(Env& env, vm_area_struct* vma) {
  if (vma->anon_vma) return 0;
  // The kernel allocates the AVC first, then looks for a neighbour.
  anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_prepare);
  if (!avc) return -ENOMEM;
  anon_vma* av = find_mergeable_anon_vma(vma);
  if (av) env.cover(Path::prepare_reused_neighbour);
  if (!av) {
    av = anon_vma_create_root(env, CallSite::anon_vma_prepare);
    if (!av) {
      env.free_avc(avc, CallSite::anon_vma_prepare);
      return -ENOMEM;
    }
    env.cover(Path::prepare_new_root);
  }
  anon_vma_lock_write(env, av);
  env.lock(Lock::page_table_lock);  // against threads faulting the same VMA
  env.touch(vma);
  env.touch(av, Touched::kActive);
  vma_attach_anon_vma(vma, av);
  anon_vma_chain_link(vma, avc, av);
  env.touch_insert(avc);
  env.touch_chain_link(+1);
  env.unlock(Lock::page_table_lock);
  anon_vma_unlock_write(env, av);
  return 0;
}

int anon_vma_clone(Env& env, vm_area_struct* dst, const vm_area_struct* src) {
  require_unlinked(dst, "anon_vma_clone");
  return clone_chain(env, dst, src, /*fork=*/false);
}

int anon_vma_fork(Env& env, vm_area_struct* vma, const vm_area_struct* pvma) {
  require_unlinked(vma, "anon_vma_fork");
  if (!pvma->anon_vma) return 0;  // unfaulted: the child faults on its own

  // The child's own anon_vma and AVC: 6.18 allocates them (anon_vma first)
  // only when the clone reused nothing; profiles move them (fork_alloc).
  using Order = Profile::ForkAlloc;
  const Order order = env.profile().fork_alloc;
  const CallSite site = CallSite::anon_vma_fork;
  anon_vma* av = nullptr;
  anon_vma_chain* avc = nullptr;
  if (order == Order::before_clone) {
    av = env.alloc_anon_vma(site);  // bare: adopted below, or put if unused
    if (!av) return -ENOMEM;
    avc = env.alloc_avc(site);
    if (!avc) {
      put_anon_vma(env, av);
      return -ENOMEM;
    }
  }

  // The walk goes root first, so the candidate nearest the root wins.
  const int err = clone_chain(env, vma, pvma, /*fork=*/true);
  if (err || vma->anon_vma) {
    if (av) {
      put_anon_vma(env, av);
      env.free_avc(avc, site);
    }
    if (!err) env.cover(Path::fork_reused_anon_vma);
    return err;
  }

  // No anon_vma to reuse: a new child of the parent VMA's, with its own AVC.
  // The kernel allocates the anon_vma before the AVC; the trace shows it.
  if (order == Order::before_clone) {
    anon_vma_make_child(env, av, pvma->anon_vma);
  } else if (order == Order::anon_vma_first) {
    av = anon_vma_create_child(env, site, pvma->anon_vma);
    if (!av) {
      unlink_anon_vmas(env, vma);
      return -ENOMEM;
    }
    avc = env.alloc_avc(site);
    if (!avc) {
      // out_error_free_anon_vma: the new child never got an AVC. The kernel
      // has not counted it in its parent yet; the model counted it when it
      // created it, so it takes the count back before the put frees it.
      if (env.profile().fork_unwind_leaks_child) {
        // rfc-v1: the parent keeps counting the child, and the put returns
        // a root reference as well as the one the model's child holds.
        anon_vma* family_root = av->root();
        put_anon_vma(env, av);
        put_anon_vma(env, family_root);
      } else {
        anon_vma_uncount_child(av);
        put_anon_vma(env, av);
      }
      unlink_anon_vmas(env, vma);
      return -ENOMEM;
    }
  } else {
    avc = env.alloc_avc(site);
    if (!avc) {
      unlink_anon_vmas(env, vma);
      return -ENOMEM;
    }
    av = anon_vma_create_child(env, site, pvma->anon_vma);
    if (!av) {
      env.free_avc(avc, site);
      unlink_anon_vmas(env, vma);
      return -ENOMEM;
    }
  }
  env.touch(vma);
  env.touch(av, Touched::kActive);
  vma_attach_anon_vma(vma, av);
  anon_vma_lock_write(env, av);
  anon_vma_chain_link(vma, avc, av);
  env.touch_insert(avc);
  env.touch_chain_link(+1);
  anon_vma_unlock_write(env, av);
  env.cover(Path::fork_new_anon_vma);
  return 0;
}

void unlink_anon_vmas(Env& env, vm_area_struct* vma) {
  list_head& chain = vma->anon_vma_chain;
  env.touch_context(vma);
  // Pass 1, newest first, under the root lock: unlink from the trees. An
  // AVC whose anon_vma is left with an empty tree stays on the list, for
  // pass 2 to put.
  const anon_vma* root = nullptr;
  for (list_head *n = chain.next, *next; n != &chain; n = next) {
    next = n->next;
    anon_vma_chain* avc = anon_vma_chain::from_same_vma(n);
    anon_vma* av = avc->anon_vma;
    root = lock_anon_vma_root(env, root, av);
    av->rb_root.erase(*avc);
    env.touch(av, Touched::kTreeErase | Touched::kCounters);
    if (av->rb_root.empty()) {
      anon_vma_tree_emptied(av);
      continue;
    }
    n->del();
    env.touch_chain_link(-1);
    env.free_avc(avc, CallSite::unlink_anon_vmas);
  }
  if (vma->anon_vma) {
    MODEL_RULE(vma->anon_vma->num_active_vmas() > 0, "num_active_vmas underflow",
               "unlink_anon_vmas of VMA #{} detaches it from anon_vma #{}, whose num_active_vmas "
               "is already 0: the kernel's counter wraps to -1, which the VM_WARN_ON("
               "anon_vma->num_active_vmas) of unlink_anon_vmas reports when the anon_vma is put.",
               vma->id, vma->anon_vma->id());
    env.touch(vma->anon_vma, Touched::kActive);
    vma_detach_anon_vma(vma);
  }
  unlock_anon_vma_root(env, root);

  // Pass 2, unlocked (__put_anon_vma may need the lock): children come
  // before parents on the list (I5), so each put happens after the puts of
  // everything below it.
  for (list_head *n = chain.next, *next; n != &chain; n = next) {
    next = n->next;
    anon_vma_chain* avc = anon_vma_chain::from_same_vma(n);
    const anon_vma* av = avc->anon_vma;
    MODEL_RULE(av->num_children() == 0 && av->num_active_vmas() == 0,
               "anon_vma put while in use (unlink_anon_vmas VM_WARN_ON)",
               "unlink_anon_vmas of VMA #{} puts anon_vma #{}, whose tree is empty but which has "
               "num_children {} and num_active_vmas {}.",
               vma->id, av->id(), av->num_children(), av->num_active_vmas());
    if (avc->anon_vma->refcount() == 1) env.cover(Path::unlink_freed_anon_vma);
    put_anon_vma(env, avc->anon_vma);
    n->del();
    env.touch_chain_link(-1);
    env.free_avc(avc, CallSite::unlink_anon_vmas);
  }
}

void anon_vma_interval_tree_pre_update_vma(vm_area_struct* vma) {
  vma->for_each_avc([](anon_vma_chain& avc) { avc.anon_vma->rb_root.erase(avc); });
}

void anon_vma_interval_tree_post_update_vma(vm_area_struct* vma) {
  vma->for_each_avc([](anon_vma_chain& avc) { avc.anon_vma->rb_root.insert(avc); });
}

void folio_add_new_anon_rmap(folio* f, vm_area_struct* vma, std::uint32_t page) {
  f->mapping = vma->anon_vma;
  f->mapping_id = vma->anon_vma->id();
  f->index = vma->pgoff_of(page);
  f->anon_exclusive = true;
}

void folio_move_anon_rmap(folio* f, vm_area_struct* vma) {
  f->mapping = vma->anon_vma;
  f->mapping_id = vma->anon_vma->id();
}

std::vector<RmapHit> rmap_walk_anon(const folio& f) {
  std::vector<RmapHit> hits;
  f.mapping->rb_root.for_each_overlap(f.index, f.index, [&](anon_vma_chain& avc) {
    const vm_area_struct* vma = avc.vma;
    const auto page = static_cast<std::uint32_t>(vma->vm_start + (f.index - vma->vm_pgoff));
    hits.push_back({vma, page, vma->vm_mm->ptes.get(page).page == &f});
  });
  return hits;
}

}  // namespace rmaplab::model
