// VMA split, merge and unmap (6.18.8+ mm/vma.c), as they touch anon_vma state.
#include "model/vma_ops.h"

#include <cerrno>

#include "model/rmap.h"
#include "model/rule.h"

namespace rmaplab::model {
namespace {

bool is_mergeable_vma(const vma_merge_struct& vmg, const vm_area_struct& tgt) {
  return tgt.vm_flags == vmg.vm_flags && tgt.shmem == vmg.shmem;
}

bool vma_is_fork_child(const vm_area_struct* vma) { return vma && vma->is_fork_child(); }

// 6.18.8+: may `tgt` and the range share anon_vma state after the merge?
bool is_mergeable_anon_vma(const Profile& rules, const vma_merge_struct& vmg,
                           const vm_area_struct& tgt) {
  const anon_vma* tgt_anon = tgt.anon_vma;
  const anon_vma* src_anon = vmg.anon_vma;
  // case 1: tgt will get dup_anon_vma from the range (6.16; before it, the
  // singular-chain test on tgt refused every unfaulted tgt).
  if (!tgt_anon && src_anon)
    return rules.merge_unfaulted_with_faulted && !vma_is_fork_child(vmg.middle) &&
           !vma_is_fork_child(vmg.copied_from);
  if (tgt_anon && !src_anon)  // case 2: the range will use tgt's anon_vma
    return !tgt.is_fork_child();
  return src_anon == tgt_anon;  // case 3 (or neither)
}

// The range can join prev at its end (prev is below it).
bool can_vma_merge_after(const Profile& rules, const vma_merge_struct& vmg) {
  const vm_area_struct& prev = *vmg.prev;
  return is_mergeable_vma(vmg, prev) && is_mergeable_anon_vma(rules, vmg, prev) &&
         prev.vm_pgoff + prev.pages() == vmg.pgoff;
}

// The range can join next at its start.
bool can_vma_merge_before(const Profile& rules, const vma_merge_struct& vmg) {
  const vm_area_struct& next = *vmg.next;
  return is_mergeable_vma(vmg, next) && is_mergeable_anon_vma(rules, vmg, next) &&
         next.vm_pgoff == vmg.pgoff + (vmg.end - vmg.start);
}

bool can_vma_merge_left(const Profile& rules, const vma_merge_struct& vmg) {
  return vmg.prev && vmg.prev->vm_end == vmg.start && can_vma_merge_after(rules, vmg);
}

bool can_vma_merge_right(const Profile& rules, const vma_merge_struct& vmg, bool can_merge_left) {
  const vm_area_struct* next = vmg.next;
  if (!next || vmg.end != next->vm_start || !can_vma_merge_before(rules, vmg)) return false;
  if (!can_merge_left) return true;
  // Each side may suit the range, yet prev and next must also suit each other.
  const vm_area_struct* prev = vmg.prev;
  return !prev->anon_vma || !next->anon_vma || prev->anon_vma == next->anon_vma;
}

// dup_anon_vma: an unfaulted dst that absorbs faulted src must be linked
// wherever src is, or src's folios would be unreachable by rmap (I10).
int dup_anon_vma(Machine& m, vm_area_struct* dst, const vm_area_struct* src, vm_area_struct** dup) {
  if (src->anon_vma && !dst->anon_vma) {
    if (int err = m.rmap().clone(m.env(), dst, src)) {
      // The kernel set dst->anon_vma = src->anon_vma before the clone;
      // before the March 2026 fix (Profile::clone_unwind_keeps_anon_vma)
      // the unwind left it there, uncounted, on a VMA that stays mapped.
      if (m.env().profile().clone_unwind_keeps_anon_vma) {
        m.env().touch(dst);
        m.env().touch(src->anon_vma, Touched::kActive);
        dst->anon_vma = src->anon_vma;
      }
      return err;
    }
    m.env().cover(Path::merge_dup_anon_vma);
    *dup = dst;
  }
  return 0;
}

// commit_merge: apply the ranges the merge decided, then drop the VMAs it
// removed (middle first, then next), as vma_prepare/vma_complete do.
void commit_merge(Machine& m, vma_merge_struct& vmg) {
  m.env().cover(Path::merge);
  mm_struct& mm = *vmg.mm;
  vm_area_struct* vma = vmg.adjust_next_start ? vmg.middle : vmg.target;
  vm_area_struct* adjust = vmg.adjust_middle_start ? vmg.middle
                           : vmg.adjust_next_start ? vmg.next
                                                   : nullptr;
  vm_area_struct* remove = vmg.remove_middle ? vmg.middle : nullptr;
  vm_area_struct* remove2 = vmg.remove_next ? vmg.next : nullptr;
  if (!remove) std::swap(remove, remove2);

  // vma_prepare: the tree keys change under the root lock of vma's anon_vma
  // (or adjust's); vma_complete drops it before the removed VMAs go.
  const vm_area_struct* locked = vma->anon_vma ? vma : adjust;
  if (locked) m.rmap().lock_vma(m.env(), locked);
  m.rmap().vma_moving(vma);
  if (adjust) m.rmap().vma_moving(adjust);

  for (vm_area_struct* gone : {remove, remove2}) {
    if (!gone) continue;
    mm.erase(gone);
    m.env().touch(gone);
  }
  const std::uint32_t old_start = vma->vm_start, old_end = vma->vm_end;
  const std::uint64_t old_pgoff = vma->vm_pgoff;
  const std::uint32_t adj_start = adjust ? adjust->vm_start : 0,
                      adj_end = adjust ? adjust->vm_end : 0;
  const std::uint64_t adj_pgoff = adjust ? adjust->vm_pgoff : 0;
  vma->vm_start = vmg.start;
  vma->vm_end = vmg.end;
  vma->vm_pgoff = vmg.pgoff;
  if (adjust) {
    const std::uint32_t adj_old = adjust->vm_start;
    if (vmg.adjust_middle_start)
      adjust->vm_pgoff += vmg.end - adjust->vm_start;
    else
      adjust->vm_pgoff -= adjust->vm_start - vmg.end;
    adjust->vm_start = vmg.end;
    // Re-file the one that moved right first, so keys never collide.
    if (adjust->vm_start > adj_old) {
      mm.rekey(adjust, adj_old);
      mm.rekey(vma, old_start);
    } else {
      mm.rekey(vma, old_start);
      mm.rekey(adjust, adj_old);
    }
  } else {
    mm.rekey(vma, old_start);
  }

  m.rmap().vma_moved(vma);
  if (adjust) m.rmap().vma_moved(adjust);
  m.env().touch_range(vma, old_start, old_end, old_pgoff);
  if (adjust) m.env().touch_range(adjust, adj_start, adj_end, adj_pgoff);
  if (locked) m.rmap().unlock_vma(m.env(), locked);

  for (vm_area_struct* gone : {remove, remove2}) {
    if (!gone) continue;
    if (gone->anon_vma) m.rmap().unlink(m.env(), gone);
    remove_vma(m, gone);
  }
}

// vma_merge_existing_range: part of middle changes attributes; can it join
// prev or next instead of being split off?
vm_area_struct* vma_merge_existing_range(Machine& m, vma_merge_struct& vmg) {
  vm_area_struct* middle = vmg.middle;
  vm_area_struct* prev = vmg.prev;
  const std::uint32_t start = vmg.start, end = vmg.end;
  const bool left_side = start == middle->vm_start;
  const bool right_side = end == middle->vm_end;

  vmg.state = vma_merge_struct::State::nomerge;
  if (!left_side && !right_side) return nullptr;

  const Profile& rules = m.env().profile();
  const bool merge_left = left_side && can_vma_merge_left(rules, vmg);
  bool merge_right = false;
  vm_area_struct* next = nullptr;
  if (right_side) {
    next = vmg.next = vmg.mm->vma_next(middle);
    merge_right = can_vma_merge_right(rules, vmg, merge_left);
  }
  if (!merge_left && !merge_right) return nullptr;

  const bool merge_both = merge_left && merge_right;
  vmg.remove_middle = left_side && right_side;
  vmg.remove_next = merge_both;
  vmg.target = merge_left ? prev : next;

  vm_area_struct* anon_dup = nullptr;
  int err;
  if (merge_both) {
    //  | prev  | middle | next |
    //   extend   delete  delete
    vmg.start = prev->vm_start;
    vmg.end = next->vm_end;
    vmg.pgoff = prev->vm_pgoff;
    err = dup_anon_vma(m, prev, next->anon_vma ? next : middle, &anon_dup);
  } else if (merge_left) {
    //  | prev  | middle ...
    //   extend   shrink or delete
    vmg.start = prev->vm_start;
    vmg.pgoff = prev->vm_pgoff;
    if (!vmg.remove_middle) vmg.adjust_middle_start = true;
    err = dup_anon_vma(m, prev, middle, &anon_dup);
  } else {
    //  ... middle | next |
    //   shrink or delete, extend
    const std::uint32_t pglen = end - start;
    if (vmg.remove_middle) {
      vmg.end = next->vm_end;
      vmg.pgoff = next->vm_pgoff - pglen;
    } else {
      vmg.adjust_next_start = true;
      vmg.start = middle->vm_start;
      vmg.end = start;
      vmg.pgoff = middle->vm_pgoff;
    }
    err = dup_anon_vma(m, next, middle, &anon_dup);
  }
  if (err) {
    vmg.state = vma_merge_struct::State::error_nomem;
    return nullptr;
  }
  commit_merge(m, vmg);
  vmg.state = vma_merge_struct::State::success;
  return vmg.target;
}

// vma_expand: target grows over [vmg.start, vmg.end), absorbing next if it
// reaches next's end; an mremap copy also brings its source's anon_vma.
int vma_expand(Machine& m, vma_merge_struct& vmg) {
  vm_area_struct* target = vmg.target;
  vm_area_struct* next = vmg.next;
  const bool remove_next = next && target != next && vmg.end == next->vm_end;
  vm_area_struct* anon_dup = nullptr;
  int err = 0;
  if (remove_next) err = dup_anon_vma(m, target, next, &anon_dup);
  if (!err && vmg.copied_from) err = dup_anon_vma(m, target, vmg.copied_from, &anon_dup);
  if (err) {
    if (anon_dup) m.rmap().unlink(m.env(), anon_dup);
    vmg.state = vma_merge_struct::State::error_nomem;
    return err;
  }
  vmg.remove_next = remove_next;
  commit_merge(m, vmg);
  return 0;
}

}  // namespace

vm_area_struct* vm_area_dup(Machine& m, const vm_area_struct* vma) {
  vm_area_struct* n = m.env().alloc_vma();
  n->vm_start = vma->vm_start;
  n->vm_end = vma->vm_end;
  n->vm_pgoff = vma->vm_pgoff;
  n->vm_flags = vma->vm_flags;
  n->shmem = vma->shmem;
  n->vm_mm = vma->vm_mm;
  if (n->shmem) m.shmem_get(n->shmem);
  // The anon_vma and chain are not copied: the caller links them, so the
  // counters never see a VMA pointing at an anon_vma without counting it.
  return n;
}

void remove_vma(Machine& m, vm_area_struct* vma) {
  if (vma->shmem) m.shmem_put(vma->shmem);
  m.env().free_vma(vma);
}

int split_vma(Machine& m, vm_area_struct* vma, std::uint32_t addr, bool new_below) {
  MODEL_RULE(vma->vm_start < addr && addr < vma->vm_end,
             "split point outside the VMA (__split_vma WARN_ON)",
             "VMA #{} [{}, {}) is split at page {}, which is not inside it.", vma->id,
             vma->vm_start, vma->vm_end, addr);
  vm_area_struct* n = vm_area_dup(m, vma);
  if (new_below) {
    n->vm_end = addr;
  } else {
    n->vm_start = addr;
    n->vm_pgoff += addr - vma->vm_start;
  }
  if (int err = m.rmap().clone(m.env(), n, vma)) {
    remove_vma(m, n);
    return err;
  }
  m.env().cover(Path::split);
  // vma_prepare / vma_complete around the key change.
  m.rmap().lock_vma(m.env(), vma);
  m.rmap().vma_moving(vma);
  const std::uint32_t old_start = vma->vm_start, old_end = vma->vm_end;
  const std::uint64_t old_pgoff = vma->vm_pgoff;
  if (new_below) {
    vma->vm_pgoff += addr - vma->vm_start;
    vma->vm_start = addr;
    vma->vm_mm->rekey(vma, old_start);
  } else {
    vma->vm_end = addr;
  }
  vma->vm_mm->insert(n);
  m.rmap().vma_moved(vma);
  m.env().touch_range(vma, old_start, old_end, old_pgoff);
  m.env().touch_inherit(n, vma);
  m.rmap().unlock_vma(m.env(), vma);
  return 0;
}

vm_area_struct* vma_modify_flags(Machine& m, vm_area_struct* prev, vm_area_struct* vma,
                                 std::uint32_t start, std::uint32_t end, std::uint32_t vm_flags,
                                 int* err) {
  vma_merge_struct vmg;
  vmg.mm = vma->vm_mm;
  vmg.prev = prev;
  vmg.middle = vma;
  vmg.start = start;
  vmg.end = end;
  vmg.pgoff = vma->pgoff_of(start);
  vmg.vm_flags = vm_flags;
  vmg.shmem = vma->shmem;
  vmg.anon_vma = vma->anon_vma;

  if (vm_area_struct* merged = vma_merge_existing_range(m, vmg)) return merged;
  if (vmg.state == vma_merge_struct::State::error_nomem) {
    *err = -ENOMEM;
    return nullptr;
  }
  // No merge: split so that [start, end) is one VMA, the original object.
  if (vma->vm_start < start) {
    if ((*err = split_vma(m, vma, start, /*new_below=*/true))) return nullptr;
  }
  if (vma->vm_end > end) {
    if ((*err = split_vma(m, vma, end, /*new_below=*/false))) return nullptr;
  }
  return vma;
}

vm_area_struct* mmap_region_expand(Machine& m, vma_merge_struct& vmg) {
  vmg.state = vma_merge_struct::State::nomerge;
  if (!vmg.prev && !vmg.next) return nullptr;
  const Profile& rules = m.env().profile();
  // Next first, with the range's (no) anon_vma; then prev, against next's
  // anon_vma if next suited.
  const bool next_suits =
      vmg.next && vmg.next->vm_start == vmg.end && can_vma_merge_before(rules, vmg);
  vma_merge_struct as_next = vmg;
  if (next_suits) as_next.anon_vma = vmg.next->anon_vma;
  const bool prev_suits = can_vma_merge_left(rules, as_next);
  if (next_suits) {
    vmg.end = vmg.next->vm_end;
    vmg.target = vmg.next;
  }
  if (prev_suits) {
    vmg.start = vmg.prev->vm_start;
    vmg.target = vmg.prev;
    vmg.pgoff = vmg.prev->vm_pgoff;
  }
  if (!next_suits) vmg.next = nullptr;  // vma_expand may absorb only a next that suited
  if (vmg.target && vma_expand(m, vmg) == 0) {
    vmg.state = vma_merge_struct::State::success;
    return vmg.target;
  }
  return nullptr;
}

vm_area_struct* vma_merge_new_range(Machine& m, vma_merge_struct& vmg) {
  vmg.state = vma_merge_struct::State::nomerge;
  if (!vmg.prev && !vmg.next) return nullptr;
  const Profile& rules = m.env().profile();
  const bool can_merge_left = can_vma_merge_left(rules, vmg);
  const bool can_merge_right = can_vma_merge_right(rules, vmg, can_merge_left);
  if (can_merge_right) {
    vmg.end = vmg.next->vm_end;
    vmg.target = vmg.next;
  }
  if (can_merge_left) {
    vmg.start = vmg.prev->vm_start;
    vmg.target = vmg.prev;
    vmg.pgoff = vmg.prev->vm_pgoff;
  }
  if (vmg.target && vma_expand(m, vmg) == 0) {
    vmg.state = vma_merge_struct::State::success;
    return vmg.target;
  }
  return nullptr;
}

int vms_gather_munmap_vmas(Machine& m, mm_struct& mm, vma_munmap_struct& vms) {
  // 6.18 unmaps the original VMA objects; 6.1 the new pieces
  // (Profile::munmap_unmaps_new_pieces).
  const bool new_pieces_go = m.env().profile().munmap_unmaps_new_pieces;
  vm_area_struct* vma = mm.find_vma(vms.start);
  if (vma && vma->vm_start >= vms.end) vma = nullptr;
  if (vma && vms.start > vma->vm_start) {
    // 6.18: the original keeps the upper part, which is unmapped.
    if (int err = split_vma(m, vma, vms.start, /*new_below=*/!new_pieces_go)) return err;
  }
  vms.prev = mm.prev_of(vms.start);
  for (auto it = mm.vmas.lower_bound(vms.start); it != mm.vmas.end() && it->first < vms.end; ++it) {
    vm_area_struct* v = it->second;
    if (v->vm_end > vms.end) {
      // The last VMA of the range: split off its tail and stop.
      const std::uint32_t v_start = v->vm_start;
      if (int err = split_vma(m, v, vms.end, /*new_below=*/new_pieces_go)) {
        vms.detached.clear();
        return err;
      }
      vms.detached.push_back(new_pieces_go ? mm.vma_lookup(v_start) : v);
      break;
    }
    vms.detached.push_back(v);
  }
  for (vm_area_struct* v : vms.detached) {
    mm.erase(v);
    m.env().touch(v);
  }
  auto next = mm.vmas.lower_bound(vms.end);
  vms.next = next == mm.vmas.end() ? nullptr : next->second;
  return 0;
}

void vms_clear_ptes(Machine& m, mm_struct& mm, vma_munmap_struct& vms) {
  // unmap_region: zap everything, then free_pgtables unlinks in address order.
  for (vm_area_struct* v : vms.detached) zap_page_range(m, mm, v->vm_start, v->vm_end);
  for (vm_area_struct* v : vms.detached) m.rmap().unlink(m.env(), v);
}

void vms_complete_munmap_vmas(Machine& m, vma_munmap_struct& vms) {
  for (vm_area_struct* v : vms.detached) remove_vma(m, v);
  vms.detached.clear();
}

int do_vmi_munmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t end) {
  vma_munmap_struct vms;
  vms.start = start;
  vms.end = end;
  if (int err = vms_gather_munmap_vmas(m, mm, vms)) return err;
  vms_clear_ptes(m, mm, vms);
  vms_complete_munmap_vmas(m, vms);
  return 0;
}

void zap_page_range(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t end) {
  m.env().count_lock(Lock::pte_lock, mm.ptes.tables_in(start, end));  // zap_pte_range
  m.env().touch_pages(mm.slot, start, end);
  mm.ptes.take_range(start, end, [&](std::uint32_t, folio* f) { m.put_folio(f); });
}

}  // namespace rmaplab::model
