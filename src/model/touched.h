// What one operation changed: the record the incremental invariant check
// (check_touched, src/check/check.h) reads instead of the whole machine.
//
// The Env owns one Touched. The model appends to it where it changes state
// (one call at each site, see the Env::touch_* functions); the driver clears
// it before each operation (Env::reset_touched; recording starts with the
// first call, so a run that never checks incrementally keeps nothing).
// Appending is a push_back:
// no hashing and no deduplication on the model's hot path; the checker sorts
// and deduplicates what it reads.
//
// Objects are named by pointer plus id, because an object freed during the
// operation may have had its slot reused by a new one: the checker skips an
// entry whose id is in the freed list (or, for anon_vmas, Env::is_live says
// it is gone) and never dereferences it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rmaplab::model {

struct anon_vma;
struct anon_vma_chain;
struct folio;
struct vm_area_struct;

struct Touched {
  // PTEs of process `slot` in [start, end) may have changed, or the VMA
  // context they are checked against (the VMA covering them, its chain, its
  // pgoff): every present PTE there is checked again.
  struct Pages {
    int slot;
    std::uint32_t start, end;
  };
  // A VMA whose place in its mm, anon_vma or chain changed. Its PTEs are not
  // implied: what changes their context is recorded as Pages or Inherit.
  struct Vma {
    const vm_area_struct* vma;
    std::uint32_t id;
    const anon_vma* active;  // vma->anon_vma when touched
  };
  // `vma` was split off `from` and took over some of its pages, with a copy
  // of its chain: the pages keep their context if `vma` has `from`'s
  // (same shmem object and linear pgoff, an anon_vma if `from` has one, a
  // chain holding `from`'s). The checker verifies that, or checks the pages.
  struct Inherit {
    const vm_area_struct* vma;
    std::uint32_t id;
    const vm_area_struct* from;
    std::uint32_t from_id;
  };
  // An anon_vma that changed, freed ones included, and what changed (which
  // decides what the checker recounts; kAll when unsure).
  enum What : std::uint8_t {
    kTreeInsert = 1,  // AVCs inserted in its tree (listed in `inserted`)
    kTreeErase = 2,   // AVCs erased from its tree
    kActive = 4,      // num_active_vmas (a VMA attached or detached)
    kCounters = 8,    // num_children or refcount
    kLinks = 16,      // its parent or root
    kTreeRekey = 32,  // AVCs erased and inserted again under their VMA's new range
    kAll = 63,
  };
  struct AnonVma {
    const anon_vma* av;
    std::uint32_t id;
    std::uint8_t what;
    int num_active_vmas;  // when touched
  };
  // A folio whose mapcount, mapping or index changed.
  struct Folio {
    const folio* f;
    std::uint32_t id;
  };

  std::vector<Pages> pages;
  std::vector<Vma> vmas;
  std::vector<Inherit> inherits;
  std::vector<AnonVma> anon_vmas;
  std::vector<const anon_vma_chain*> inserted;  // into their tree (re-filed ones too)
  // AVCs freed, with inserted.size() at the time: an `inserted` entry is
  // gone if its AVC was freed after it (the slot may hold a new AVC since).
  struct FreedAvc {
    const anon_vma_chain* avc;
    std::size_t inserted;
    bool operator<(const FreedAvc& o) const {
      return avc != o.avc ? avc < o.avc : inserted < o.inserted;
    }
  };
  std::vector<FreedAvc> freed_avcs;
  std::vector<Folio> folios;
  std::vector<std::uint32_t> freed_vmas, freed_folios;  // ids
  // VMAs allocated during the operation (ids). With the first record of
  // every other touched VMA and anon_vma, which the model makes before it
  // attaches or detaches, this gives num_active_vmas before the operation
  // and which VMAs pointed where: I6 is checked from the difference.
  std::vector<std::uint32_t> allocated_vmas;
  // VMAs whose pages lost their context (pgoff no longer linear with the
  // old one, AVCs unlinked, anon_vma detached): what they pass on by
  // Inherit cannot be trusted either.
  std::vector<std::uint32_t> context_changed;  // VMA ids
  // anon_vma_chain entries added to (+1) and removed from (-1) VMA lists,
  // and the live AVC count at the reset: the global half of I3 (every live
  // AVC is on a VMA's list) is live_avcs == avcs_at_reset + chain_links.
  std::int64_t chain_links = 0;
  std::size_t avcs_at_reset = 0;

  void clear(std::size_t live_avcs) {
    pages.clear();
    vmas.clear();
    inherits.clear();
    anon_vmas.clear();
    inserted.clear();
    freed_avcs.clear();
    folios.clear();
    freed_vmas.clear();
    freed_folios.clear();
    allocated_vmas.clear();
    context_changed.clear();
    chain_links = 0;
    avcs_at_reset = live_avcs;
  }
};

}  // namespace rmaplab::model
