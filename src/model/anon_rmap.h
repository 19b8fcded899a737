// The seam between what every anonymous-rmap design shares and what each
// decides: one interface named after the job, reverse mapping of anonymous
// memory.
//
// Shared, in the rest of src/model: processes and their mm, VMAs with split,
// merge, mremap and munmap, page tables, folios, faults, fork and exit. The
// shared code calls a design at the points where the kernel's anonymous
// rmap does its work: a VMA's first fault, fork of a VMA, a VMA that shares
// another's anonymous memory (split, merge, mremap), a VMA going away, a
// folio created, reused or freed, and the rmap walk of a folio.
//
// The designs, one file each in src/model/design/:
//   anon_vma_design.cc  Linux's anon_vma hierarchy (6.18 and every profile
//                       that only changes its rules: linux-6.1 ... rfc-v1)
//   cow_context.cc      COW context (Stoakes, LSF/MM+BPF 2026): one context
//                       per mm in a tree mirroring fork; no anon_vma, no AVC
//   anon_vma_lazy.cc    ANON_VMA_LAZY (Honor, May 2026): no anon_vma until
//                       fork; the anon_vma design's objects after that
//
// A Profile names its design (Profile::design); the Machine makes one per run.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "model/env.h"
#include "model/folio.h"
#include "model/vma.h"

namespace rmaplab::model {

struct mm_struct;

// One candidate of an rmap walk: a VMA the walk asks about, the page the
// folio would be mapped at there, and whether that PTE really maps it.
struct RmapHit {
  const vm_area_struct* vma;
  std::uint32_t page;
  bool maps;
};

// What a design allocates besides VMAs and folios, counted per kind: the
// anon_vma design's anon_vma and anon_vma_chain live in the Env (its Event
// log); other designs report theirs here.
struct DesignObjects {
  std::string_view kind;        // "cow_context"
  std::uint32_t bytes = 0;      // per object, at the kernel's (or the proposal's) size
  std::uint64_t allocated = 0;  // over the run
  std::uint64_t freed = 0;
  std::uint64_t peak = 0;  // most alive at once
  std::uint64_t live() const { return allocated - freed; }
};

// The rules of the invariant checker a design keeps besides the shared ones
// (src/check/check.h): the anon_vma design's I1-I12, or the design's own.
enum class DesignKind : std::uint8_t { anon_vma, cow_context, anon_vma_lazy };

class AnonRmap {
 public:
  virtual ~AnonRmap() = default;
  virtual DesignKind kind() const = 0;

  // A new address space (exec/spawn), and one whose last user exited, after
  // exit_mmap has unlinked and removed its VMAs.
  virtual void mm_init(Env& env, mm_struct& mm) = 0;
  virtual void mm_exit(Env& env, mm_struct& mm) = 0;

  // A fault that is about to create an anonymous folio in a VMA without
  // vma->anon_vma (vmf_anon_prepare, with the locks it takes): give the VMA
  // what its folios will point at. 0 or -ENOMEM. The shared code reads
  // vma->anon_vma as "this VMA has anonymous memory"; a design may leave it
  // null (anon-vma-lazy) and is then asked again at the next such fault.
  virtual int prepare(Env& env, vm_area_struct* vma) = 0;

  // Fork of one VMA: `vma` is the child's copy of `pvma`, not yet in the
  // child's mm; a design may change the parent's side first (anon-vma-lazy
  // materialises it). 0 or -ENOMEM (then the child is torn down). Pages are
  // copied into the child afterwards if pvma->anon_vma is set.
  virtual int fork(Env& env, vm_area_struct* vma, vm_area_struct* pvma) = 0;
  // The whole fork succeeded: `child` was copied from `parent`.
  virtual void fork_mm(Env& env, mm_struct& child, mm_struct& parent) = 0;

  // Split, merge (an unfaulted VMA absorbing a faulted one) and mremap's
  // copy: dst, which has nothing, shares src's anonymous memory. 0 or -ENOMEM.
  virtual int clone(Env& env, vm_area_struct* dst, const vm_area_struct* src) = 0;
  // The VMA is going (munmap, a merge removing it, exit): drop what links it.
  virtual void unlink(Env& env, vm_area_struct* vma) = 0;
  // mremap is about to move the VMA to another address (move_vma). 0 or
  // -ENOMEM.
  virtual int before_move(Env& env, mm_struct& mm, vm_area_struct* vma) = 0;

  // Around a change of vm_start, vm_end or vm_pgoff of a VMA with anonymous
  // memory: the lock that keeps rmap walks out (lock_vma/unlock_vma), and the
  // index the walk uses (vma_moving before, vma_moved after).
  virtual void lock_vma(Env& env, const vm_area_struct* vma) = 0;
  virtual void unlock_vma(Env& env, const vm_area_struct* vma) = 0;
  virtual void vma_moving(vm_area_struct* vma) = 0;
  virtual void vma_moved(vm_area_struct* vma) = 0;

  // A new exclusive folio at `page` of `vma` (first fault, COW copy); a
  // shared folio the writer may keep (COW reuse); a folio's last mapping gone.
  virtual void folio_new(Env& env, folio* f, vm_area_struct* vma, std::uint32_t page) = 0;
  virtual void folio_reuse(Env& env, folio* f, vm_area_struct* vma) = 0;
  virtual void folio_freed(Env& env, folio* f) = 0;

  // The rmap walk of an anonymous folio: every candidate it asks about, in
  // the order it asks. Complete when every (process, page) that maps the
  // folio is among the hits with maps = true (the shared rule S1).
  virtual std::vector<RmapHit> walk(const folio& f) const = 0;
  // What the walks so far cost, in the design's own steps: the anon_vma
  // designs' AVCs examined in the interval tree; cow-context's contexts
  // visited (live or not) and lookups made in each live one's mm.
  std::uint64_t walk_steps() const { return walk_steps_; }
  // Whether what the folio points at is alive, so that walk() may follow
  // it: false only in a run whose rules broke (a use-after-free).
  virtual bool owner_live(const Env& env, const folio& f) const = 0;

  // The design's own objects (empty for the anon_vma design).
  virtual std::vector<DesignObjects> objects() const = 0;

 protected:
  mutable std::uint64_t walk_steps_ = 0;  // walks are const; their cost is not state
};

// The design a profile names, for one run.
std::unique_ptr<AnonRmap> make_anon_rmap(const Profile& profile);

}  // namespace rmaplab::model
