// Reverse mapping for anonymous memory: Linux 6.18 mm/rmap.c (the anon_vma
// lifecycle and rmap_walk_anon) and find_mergeable_anon_vma from mm/vma.c.
//
// Return values follow the kernel: 0 or -ENOMEM (the only error these paths
// have; it happens only when the environment injects an allocation failure).
// Left out: the multi-threaded first-fault race in __anon_vma_prepare (the
// loser frees its new objects; a single-threaded script never loses), and
// KSM/migration paths.
#pragma once

#include <cstdint>
#include <vector>

#include "model/anon_rmap.h"
#include "model/anon_vma.h"
#include "model/env.h"
#include "model/folio.h"
#include "model/vma.h"

namespace rmaplab::model {

// anon_vma_lock_write / anon_vma_unlock_write: the family root's rwsem, the
// only one ever taken (counted by the Env).
void anon_vma_lock_write(Env& env, const anon_vma* av);
void anon_vma_unlock_write(Env& env, const anon_vma* av);

// __anon_vma_prepare: give an unfaulted VMA its active anon_vma, reusing a
// compatible neighbour's (find_mergeable_anon_vma) or creating a new root.
int anon_vma_prepare(Env& env, vm_area_struct* vma);

// A neighbour's anon_vma that `vma` may share at its first fault, or null:
// the next VMA first, then the previous (field guide §2.3).
anon_vma* find_mergeable_anon_vma(const vm_area_struct* vma);

// anon_vma_clone for split, merge (dup_anon_vma) and mremap (copy_vma):
// links dst into every anon_vma on src's chain, then makes src's active
// anon_vma dst's too. dst must be unlinked.
int anon_vma_clone(Env& env, vm_area_struct* dst, const vm_area_struct* src);

// anon_vma_fork: the child VMA `vma` of parent VMA `pvma` at fork. Clones the
// chain; reuses an ancestor nobody uses any more if the profile's rule allows
// (Profile::fork_may_reuse), or else creates a child anon_vma of pvma's
// (when it allocates that one and its AVC: Profile::fork_alloc).
int anon_vma_fork(Env& env, vm_area_struct* vma, const vm_area_struct* pvma);

// unlink_anon_vmas: drop all of vma's links (two passes: unlink, then put
// the anon_vmas whose trees became empty and free their AVCs).
void unlink_anon_vmas(Env& env, vm_area_struct* vma);

// Remove all of vma's AVCs from their trees / put them back: around any
// change of vm_start, vm_end or vm_pgoff (vma_prepare / vma_complete).
void anon_vma_interval_tree_pre_update_vma(vm_area_struct* vma);
void anon_vma_interval_tree_post_update_vma(vm_area_struct* vma);

// folio_add_new_anon_rmap for a new exclusive folio at `page` of `vma`.
void folio_add_new_anon_rmap(folio* f, vm_area_struct* vma, std::uint32_t page);
// folio_move_anon_rmap: a reused COW folio now belongs to the writer's anon_vma.
void folio_move_anon_rmap(folio* f, vm_area_struct* vma);

// rmap_walk_anon: the candidates (RmapHit, anon_rmap.h) the folio's
// anon_vma tree yields, in interval-tree order.
std::vector<RmapHit> rmap_walk_anon(const folio& f);

}  // namespace rmaplab::model
