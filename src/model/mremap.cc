// mremap without MREMAP_DONTUNMAP (6.18 mm/mremap.c: check_mremap_params,
// check_prep_vma, remap_move, mremap_to, mremap_at, move_vma; mm/vma.c
// copy_vma, vma_merge_extend). Field guide §7.
#include <algorithm>
#include <cerrno>

#include "model/rmap.h"
#include "model/syscalls.h"
#include "model/vma_ops.h"

namespace rmaplab::model {
namespace {

// One mremap request, threaded through the steps like the kernel's
// vma_remap_struct.
struct vma_remap_struct {
  std::uint32_t addr = 0, old_len = 0;
  std::uint32_t new_addr = 0, new_len = 0;
  bool fixed = false;  // MREMAP_MAYMOVE|MREMAP_FIXED
  vm_area_struct* vma = nullptr;
  enum class Type { no_resize, shrink, expand } type = Type::no_resize;
};

// copy_vma: the destination VMA of a move, merged into a neighbour when it
// lines up. A faulted source keeps its linear pgoff (its folios' indexes
// depend on it); an unfaulted one takes the destination's, to merge there.
// *need_rmap_locks: the page-table move must hold the rmap locks, because
// the destination is an existing VMA an rmap walk could visit before the
// source (it merged at a pgoff not above the source's).
vm_area_struct* copy_vma(Machine& m, vm_area_struct** vmap, std::uint32_t addr, std::uint32_t len,
                         std::uint64_t pgoff, bool* need_rmap_locks) {
  vm_area_struct* vma = *vmap;
  mm_struct& mm = *vma->vm_mm;
  const std::uint32_t vma_start = vma->vm_start;
  if (vma->is_anonymous() && !vma->anon_vma) pgoff = kArenaPgoff + addr;

  vma_merge_struct vmg;
  vmg.mm = &mm;
  vmg.prev = mm.prev_of(addr);
  auto next = mm.vmas.lower_bound(addr + len);
  vmg.next = next == mm.vmas.end() ? nullptr : next->second;
  vmg.start = addr;
  vmg.end = addr + len;
  vmg.pgoff = pgoff;
  vmg.vm_flags = vma->vm_flags;
  vmg.shmem = vma->shmem;
  vmg.anon_vma = vma->anon_vma;
  vmg.copied_from = vma;
  if (vm_area_struct* merged = vma_merge_new_range(m, vmg)) {
    m.env().cover(Path::mremap_copy_merged);
    // Only an unfaulted source can have merged with its own destination.
    if (vma_start >= merged->vm_start && vma_start < merged->vm_end) *vmap = merged;
    *need_rmap_locks = merged->vm_pgoff <= (*vmap)->vm_pgoff;
    return merged;
  }
  *need_rmap_locks = false;
  vm_area_struct* n = vm_area_dup(m, vma);
  n->vm_start = addr;
  n->vm_end = addr + len;
  n->vm_pgoff = pgoff;
  if (m.rmap().clone(m.env(), n, vma)) {
    remove_vma(m, n);
    return nullptr;
  }
  mm.insert(n);
  m.env().touch(n);
  m.env().touch_pages(n);
  return n;
}

// move_page_tables: extent by extent (each within one page table at both
// ends), where the source has a page table. A whole aligned table moves at
// the PMD level; otherwise move_ptes locks the source's table and the
// destination's (nested, if another one). With need_rmap_locks each extent
// holds the anon_vma root lock too (take_rmap_locks).
void move_page_tables(Machine& m, mm_struct& mm, const vm_area_struct* vma, bool need_rmap_locks,
                      std::uint32_t old_addr, std::uint32_t new_addr, std::uint32_t len) {
  Env& env = m.env();
  constexpr std::uint32_t kTable = PageTable::kEntries;
  for (std::uint32_t done = 0; done < len;) {
    const std::uint32_t o = old_addr + done, n = new_addr + done;
    const std::uint32_t extent = std::min({kTable - o % kTable, kTable - n % kTable, len - done});
    if (mm.ptes.tables_in(o, o + extent)) {
      if (need_rmap_locks) {
        m.rmap().lock_vma(m.env(), vma);
        m.rmap().unlock_vma(m.env(), vma);
      }
      if (extent != kTable) env.count_lock(Lock::pte_lock, o / kTable == n / kTable ? 1 : 2);
    }
    done += extent;
  }
  env.touch_pages(mm.slot, old_addr, old_addr + len);
  env.touch_pages(mm.slot, new_addr, new_addr + len);
  mm.ptes.take_range(old_addr, old_addr + len, [&](std::uint32_t page, folio* f) {
    mm.ptes.set(new_addr + (page - old_addr), f);
  });
}

int move_vma(Machine& m, mm_struct& mm, vma_remap_struct& vrm) {
  vm_area_struct* vma = vrm.vma;
  if (int err = m.rmap().before_move(m.env(), mm, vma)) return err;
  const std::uint64_t new_pgoff = vma->pgoff_of(vrm.addr);
  bool need_rmap_locks = false;
  vm_area_struct* new_vma =
      copy_vma(m, &vma, vrm.new_addr, vrm.new_len, new_pgoff, &need_rmap_locks);
  if (!new_vma) return -ENOMEM;
  move_page_tables(m, mm, vma, need_rmap_locks, vrm.addr, vrm.new_addr, vrm.old_len);
  // The source range goes (splitting off what stays of its VMA).
  do_vmi_munmap(m, mm, vrm.addr, vrm.addr + vrm.old_len);
  return 0;
}

int check_prep_vma(vma_remap_struct& vrm) {
  vm_area_struct* vma = vrm.vma;
  if (!vma) return -EFAULT;
  vrm.type = vrm.new_len == vrm.old_len  ? vma_remap_struct::Type::no_resize
             : vrm.new_len < vrm.old_len ? vma_remap_struct::Type::shrink
                                         : vma_remap_struct::Type::expand;
  // Only a grow or a move maps new address space; only they are bounded by
  // the VMA (a shrink may unmap across VMAs, a same-size call is a no-op).
  if (vrm.type != vma_remap_struct::Type::expand && !vrm.fixed) return 0;
  // old_len 0 asks to duplicate a shared mapping; for private memory that is
  // refused. (Duplicating shared memory is not modelled; the language's page
  // counts are never 0.)
  if (vrm.old_len == 0) return -EINVAL;
  const std::uint32_t len = vrm.type == vma_remap_struct::Type::shrink ? vrm.new_len : vrm.old_len;
  if (len > vma->vm_end - vrm.addr) return -EFAULT;
  return 0;
}

int mremap_to(Machine& m, mm_struct& mm, vma_remap_struct& vrm) {
  // The destination is unmapped first, whatever was there.
  if (int err = do_vmi_munmap(m, mm, vrm.new_addr, vrm.new_addr + vrm.new_len)) return err;
  vrm.vma = mm.vma_lookup(vrm.addr);
  if (!vrm.vma) return -EFAULT;
  if (vrm.type == vma_remap_struct::Type::shrink) {
    if (int err = do_vmi_munmap(m, mm, vrm.addr + vrm.new_len, vrm.addr + vrm.old_len)) return err;
    vrm.vma = mm.vma_lookup(vrm.addr);
    if (!vrm.vma) return -EFAULT;
    vrm.old_len = vrm.new_len;
  }
  return move_vma(m, mm, vrm);
}

// vma_merge_extend: grow in place, absorbing a compatible next VMA.
int expand_vma_in_place(Machine& m, mm_struct& mm, vma_remap_struct& vrm) {
  vm_area_struct* vma = vrm.vma;
  const std::uint32_t delta = vrm.new_len - vrm.old_len;
  vma_merge_struct vmg;
  vmg.mm = &mm;
  vmg.prev = vma;
  vmg.next = mm.vma_next(vma);
  vmg.start = vma->vm_end;
  vmg.end = vma->vm_end + delta;
  vmg.pgoff = vma->pgoff_of(vma->vm_end);
  vmg.vm_flags = vma->vm_flags;
  vmg.shmem = vma->shmem;
  vmg.anon_vma = vma->anon_vma;
  return vma_merge_new_range(m, vmg) ? 0 : -ENOMEM;
}

int mremap_at(Machine& m, mm_struct& mm, vma_remap_struct& vrm) {
  switch (vrm.type) {
    case vma_remap_struct::Type::no_resize:
      return 0;
    case vma_remap_struct::Type::shrink:
      return do_vmi_munmap(m, mm, vrm.addr + vrm.new_len, vrm.addr + vrm.old_len);
    case vma_remap_struct::Type::expand: {
      vm_area_struct* vma = vrm.vma;
      const std::uint32_t delta = vrm.new_len - vrm.old_len;
      // In place only if the range reaches the VMA's end and the space after
      // it is free; without MREMAP_MAYMOVE there is no other way.
      const bool suffix = vma->vm_end - vrm.addr == vrm.old_len;
      const vm_area_struct* after = mm.find_vma(vma->vm_end);
      const bool free_after = static_cast<std::uint64_t>(vma->vm_end) + delta <= kArenaPages &&
                              (!after || after->vm_start >= vma->vm_end + delta);
      if (!suffix || !free_after) return -ENOMEM;
      return expand_vma_in_place(m, mm, vrm);
    }
  }
  return -EINVAL;
}

// MREMAP_FIXED with equal lengths moves every VMA in the range, keeping the
// gaps between them (6.17+); a hole at the start is EFAULT.
int remap_move(Machine& m, mm_struct& mm, vma_remap_struct& req) {
  const std::uint32_t start = req.addr, end = req.addr + req.old_len;
  std::uint32_t target = req.new_addr;
  std::uint32_t last_end = 0;
  bool seen = false;
  std::uint32_t cursor = start;
  for (vm_area_struct* vma = mm.find_vma(cursor); vma && vma->vm_start < end;
       vma = mm.find_vma(cursor)) {
    const std::uint32_t addr = std::max(vma->vm_start, start);
    const std::uint32_t len = std::min(end, vma->vm_end) - addr;
    if (!seen && start < vma->vm_start) return -EFAULT;
    const std::uint32_t offset = seen ? vma->vm_start - last_end : 0;
    last_end = vma->vm_end;

    vma_remap_struct vrm;
    vrm.vma = vma;
    vrm.addr = addr;
    vrm.new_addr = target + offset;
    vrm.old_len = vrm.new_len = len;
    vrm.fixed = true;
    int err = check_prep_vma(vrm);
    if (!err) err = mremap_to(m, mm, vrm);
    if (err) return err;
    seen = true;
    target = vrm.new_addr + len;
    // The kernel's iterator resumes after the VMA as it was found
    // (vma_iter_invalidate): when the source's unmap could not split it
    // (unmap_source_vma ignores that OOM) the VMA is still there and must
    // not be found again.
    cursor = last_end;
  }
  return seen ? 0 : -EFAULT;
}

bool ranges_overlap(std::uint32_t a, std::uint32_t alen, std::uint32_t b, std::uint32_t blen) {
  return a < b + blen && b < a + alen;
}

// Before 6.17 (Profile::mremap_moves_several_vmas false): the source VMA
// is looked up as soon as the lock is held, and a move (mremap_to, which
// calls vma_to_resize last) unmaps the destination, and a shrinking move
// the source's tail, before it requires the source range to be one VMA.
int do_mremap_one_vma(Machine& m, mm_struct& mm, vma_remap_struct& vrm) {
  vrm.vma = mm.vma_lookup(vrm.addr);
  if (!vrm.vma) return -EFAULT;
  if (!vrm.fixed) {
    if (int err = check_prep_vma(vrm)) return err;
    return mremap_at(m, mm, vrm);
  }
  if (ranges_overlap(vrm.addr, vrm.old_len, vrm.new_addr, vrm.new_len)) return -EINVAL;
  vrm.type = vrm.new_len == vrm.old_len  ? vma_remap_struct::Type::no_resize
             : vrm.new_len < vrm.old_len ? vma_remap_struct::Type::shrink
                                         : vma_remap_struct::Type::expand;
  if (int err = do_vmi_munmap(m, mm, vrm.new_addr, vrm.new_addr + vrm.new_len)) return err;
  if (vrm.type == vma_remap_struct::Type::shrink) {
    if (int err = do_vmi_munmap(m, mm, vrm.addr + vrm.new_len, vrm.addr + vrm.old_len)) return err;
    vrm.old_len = vrm.new_len;
  }
  vrm.vma = mm.vma_lookup(vrm.addr);  // vma_to_resize
  if (!vrm.vma) return -EFAULT;
  if (vrm.old_len > vrm.vma->vm_end - vrm.addr) return -EFAULT;
  return move_vma(m, mm, vrm);
}

}  // namespace

int do_mremap(Machine& m, mm_struct& mm, std::uint32_t addr, std::uint32_t old_pages,
              std::uint32_t new_addr, std::uint32_t new_pages) {
  vma_remap_struct vrm;
  vrm.addr = addr;
  vrm.old_len = old_pages;
  vrm.new_addr = new_addr;
  vrm.new_len = new_pages;
  vrm.fixed = new_addr != addr;
  // check_mremap_params: a zero new length is nonsense; a fixed destination
  // must not overlap the source.
  if (new_pages == 0) return -EINVAL;
  if (!m.env().profile().mremap_moves_several_vmas) {
    m.env().count_lock(Lock::mmap_lock_write);
    return do_mremap_one_vma(m, mm, vrm);
  }
  if (vrm.fixed && ranges_overlap(addr, old_pages, new_addr, new_pages)) return -EINVAL;
  m.env().count_lock(Lock::mmap_lock_write);  // the checks above come before it
  if (vrm.fixed && old_pages == new_pages) return remap_move(m, mm, vrm);
  vrm.vma = mm.vma_lookup(addr);
  if (int err = check_prep_vma(vrm)) return err;
  return vrm.fixed ? mremap_to(m, mm, vrm) : mremap_at(m, mm, vrm);
}

}  // namespace rmaplab::model
