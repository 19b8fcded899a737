// The model's environment: the one seam through which every allocation and
// free of a modelled kernel object passes.
//
// It plays the slab allocator (pools, so objects are as cheap to make as the
// kernel's), records the Event log (what the kmem tracepoints would show),
// keeps the live-object inventory the checker and reports read, and injects
// allocation failures: with Options::fail_alloc = K, the K-th anon_vma or
// anon_vma_chain allocation returns null, as kmem_cache_alloc would under
// memory pressure, and the model's callers unwind as 6.18 does. It also
// counts lock acquisitions (Env::lock, rmaplab::Lock; see below) at the
// points the kernel takes them.
//
// Ownership: the Env owns every object it hands out; objects still alive when
// it is destroyed are released with it. Not thread-safe (nor is the model).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/anon_vma.h"
#include "model/folio.h"
#include "model/touched.h"
#include "model/vma.h"
#include "rmaplab/event.h"
#include "rmaplab/profile.h"

namespace rmaplab::model {

// Code paths the fuzzer reports coverage of. The model bumps one counter
// where it takes a path (Env::cover, one line at each site). They live in
// the Env because it is the model's one seam to the outside: reports read
// them, nothing in the model does, so they cannot change behaviour.
enum class Path : std::uint8_t {
  prepare_new_root,          // __anon_vma_prepare allocated a new root
  prepare_reused_neighbour,  // __anon_vma_prepare took a neighbour's anon_vma
  fork_reused_anon_vma,      // anon_vma_fork reused an anon_vma on the chain
  fork_new_anon_vma,         // anon_vma_fork allocated a child anon_vma
  split,                     // __split_vma cloned a chain
  merge,                     // commit_merge joined or adjusted VMAs
  merge_dup_anon_vma,        // a merge with dup_anon_vma (anon_vma_clone)
  mremap_copy_merged,        // copy_vma merged the destination into a neighbour
  cow_reuse,                 // do_wp_page reused the only mapping's folio
  cow_copy,                  // wp_page_copy
  unlink_freed_anon_vma,     // unlink_anon_vmas put an anon_vma and freed it
  fork_failed,               // dup_mmap failed and tore the half-built child down
  alloc_failure_unwound,     // an injected allocation failure returned null
};
inline constexpr int kPaths = 13;
std::string_view to_string(Path path);  // "fork reused an anon_vma", ...

// A free-list pool of T-sized slots carved from chunks.
class SlotPool {
 public:
  SlotPool(std::size_t size, std::size_t align);
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;
  void* get();
  void put(void* p);

 private:
  struct Free {
    Free* next;
  };
  std::size_t size_;
  std::size_t per_chunk_;
  Free* free_ = nullptr;
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
};

// The locks an operation's kernel path takes, counted per acquisition (a
// downgrade or an unlock is not one). The lock order, outer to inner, and
// where each is taken (6.18; field guide §10):
//
//   mmap_lock                  syscalls: write (exit: read, then write);
//                              faults run under the per-VMA lock and take it
//                              for read only in vmf_anon_prepare
//     anon_vma->root->rwsem    write: __anon_vma_prepare, anon_vma_clone
//                              (once per chain walk), anon_vma_fork's own
//                              link, unlink_anon_vmas (once),
//                              vma_prepare/vma_complete around interval-tree
//                              key updates, mremap's take_rmap_locks,
//                              anon_vma_free of a family whose rwsem is held;
//                              read: the rmap walk
//       mm->page_table_lock    __anon_vma_prepare, to publish vma->anon_vma
//       PTE lock               once per page table that a fault, zap, fork
//                              copy, mprotect or page-table move locks
//
// Left out: per-VMA locks (lock_vma_under_rcu, vma_start_write), the folio
// lock, i_mmap_rwsem (no files here), and the PMD/PUD locks taken to
// allocate page-table pages (the model keeps no empty page tables).

// One anon_vma anon_vma_fork's chain walk asked the profile about: what
// the reuse rule saw, and whether it took it. The walk stops asking at the
// first it takes. Kept with the Event log (Options::record_events).
struct ReuseDecision {
  std::uint32_t anon_vma = 0;    // its id
  std::uint64_t vma_start = 0;   // the parent VMA being forked, its first page
  ReuseCandidate seen;
  bool reused = false;
};

class Env {
 public:
  struct Options {
    bool record_events = true;         // keep the Event log (ids included)
    std::uint64_t fail_alloc = 0;      // 1-based anon_vma/AVC allocation to fail; 0: none
    const Profile* profile = nullptr;  // the rules; null: linux_6_18() (kDefaultProfile)
  };

  explicit Env(Options options);
  Env() : Env(Options{}) {}
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // anon_vma: a fresh object (its own root and parent, refcount 1, no
  // children, no VMAs), or null when this allocation is the injected failure.
  // Use anon_vma_create_root/child (anon_vma.h), which call this.
  anon_vma* alloc_anon_vma(CallSite site);
  void free_anon_vma(anon_vma* av, CallSite site);

  anon_vma_chain* alloc_avc(CallSite site);  // null on injected failure
  void free_avc(anon_vma_chain* avc, CallSite site);

  vm_area_struct* alloc_vma();
  void free_vma(vm_area_struct* vma);

  folio* alloc_folio();
  void free_folio(folio* f);

  const Profile& profile() const { return *profile_; }

  // --- locks ---
  // Takes `lock`: one acquisition. For the anon_vma root rwsem, `root` is
  // the family root; it counts as held until unlock(root), which is what
  // anon_vma_free's rwsem_is_locked() asks. Rules (RuleBroken, rule.h):
  // only a family root's rwsem is taken, a held one is not taken again (the
  // kernel would deadlock), and only a held one is released.
  void lock(Lock lock, const anon_vma* root = nullptr);
  void unlock(Lock lock, const anon_vma* root = nullptr);
  bool rwsem_is_locked(const anon_vma* root) const;
  // Root rwsems held now (read or write); 0 between operations (rule L1).
  std::size_t rwsems_held() const { return held_roots_.size(); }
  // `n` acquisitions of a lock the model need not track as held (PTE locks).
  void count_lock(Lock lock, std::uint64_t n = 1) { locks_[lock] += n; }
  const LockCounts& lock_counts() const { return locks_; }

  // Coverage (see Path): the model calls cover() where it takes a path.
  void cover(Path path) { ++paths_[static_cast<int>(path)]; }
  const std::array<std::uint64_t, kPaths>& paths() const { return paths_; }

  // --- what happened ---
  const std::vector<Event>& events() const { return events_; }
  // Drops the log so far (ids go on): a driver that has read an operation's
  // events keeps memory to the live state.
  void forget_events() {
    events_.clear();
    reuse_decisions_.clear();
  }
  // anon_vma_fork's reuse rule: each anon_vma it asked about, in walk order.
  void note_reuse(const anon_vma* av, std::uint64_t vma_start, ReuseCandidate seen, bool reused) {
    if (options_.record_events) reuse_decisions_.push_back({av->id(), vma_start, seen, reused});
  }
  const std::vector<ReuseDecision>& reuse_decisions() const { return reuse_decisions_; }
  std::uint64_t allocations() const { return allocations_; }  // anon_vma + AVC, incl. failed
  bool injected_failure() const { return injected_; }
  // alloc/free counts per (call site, kind), kept even when events are not.
  using SiteCounts = std::array<Counts, kCallSites>;
  const SiteCounts& site_counts() const { return site_counts_; }

  // --- what is alive ---
  std::size_t live_anon_vmas() const { return anon_vmas_.size(); }
  std::size_t live_avcs() const { return live_avcs_; }
  std::size_t live_vmas() const { return live_vmas_; }
  std::size_t live_folios() const { return live_folios_; }
  const std::vector<anon_vma*>& anon_vmas() const { return anon_vmas_; }  // unordered
  bool is_live(const anon_vma* av, std::uint32_t id) const;
  // Is `av` (possibly freed pool memory) a live anon_vma? Reads only its
  // slot, like is_live(av, id), but accepts whatever object lives there now.
  bool is_live(const anon_vma* av) const;
  // The index of a live anon_vma in anon_vmas(): a dense key for checker tables.
  std::uint32_t live_index(const anon_vma* av) const { return av->slot_; }
  // A stable id for a live AVC (record_events only; 0 otherwise).
  std::uint32_t avc_id(const anon_vma_chain* avc) const;

  // --- what the current operation touched (touched.h) ---
  // The driver calls reset_touched() before each operation; the model calls
  // the touch functions where it changes state; check_touched reads touched().
  // Recording starts with the first reset_touched(): an Env nobody checks
  // incrementally records nothing (and check_touched then checks everything).
  const Touched& touched() const { return touched_; }
  void reset_touched() {
    tracking_ = true;
    touched_.clear(live_avcs_);
  }
  bool tracking_touched() const { return tracking_; }
  // vma's place in its mm, its anon_vma or its chain changed.
  void touch(const vm_area_struct* vma) {
    if (tracking_) touched_.vmas.push_back({vma, vma->id, vma->anon_vma});
  }
  // PTEs (or their context) of process `slot` in [start, end) changed.
  void touch_pages(int slot, std::uint32_t start, std::uint32_t end) {
    if (tracking_) touched_.pages.push_back({slot, start, end});
  }
  void touch_pages(const vm_area_struct* vma);  // its whole range, in its mm
  // vma's range or pgoff was just set; it was [old_start, old_end) at
  // old_pgoff. Its AVCs were re-filed, so every anon_vma on its chain is
  // touched; pages it gained, or all of them if its pgoff is no longer
  // linear with the old one, are touched.
  void touch_range(const vm_area_struct* vma, std::uint32_t old_start, std::uint32_t old_end,
                   std::uint64_t old_pgoff);
  // vma was split off `from`, with a copy of its chain (Touched::Inherit).
  void touch_inherit(const vm_area_struct* vma, const vm_area_struct* from) {
    if (!tracking_) return;
    touch(vma);
    touched_.inherits.push_back({vma, vma->id, from, from->id});
  }
  // vma's pages lose their context (its AVCs are about to be unlinked).
  void touch_context(const vm_area_struct* vma);
  void touch(const anon_vma* av, std::uint8_t what = Touched::kAll) {
    if (tracking_) touched_.anon_vmas.push_back({av, av->id_, what, av->num_active_vmas_});
  }
  // avc was just inserted in its anon_vma's tree.
  void touch_insert(const anon_vma_chain* avc) {
    if (!tracking_) return;
    touched_.inserted.push_back(avc);
    touch(avc->anon_vma, Touched::kTreeInsert);
  }
  void touch(const folio* f) {
    if (tracking_) touched_.folios.push_back({f, f->id});
  }
  // An AVC joined (+1) or left (-1) a VMA's anon_vma_chain list.
  void touch_chain_link(int delta) { touched_.chain_links += delta; }  // cheaper than a test

 private:
  bool fail_now();

  Options options_;
  const Profile* profile_;
  SlotPool anon_vma_pool_, avc_pool_, vma_pool_, folio_pool_;
  std::vector<Event> events_;
  std::vector<ReuseDecision> reuse_decisions_;
  SiteCounts site_counts_{};
  std::array<std::uint64_t, kPaths> paths_{};
  std::uint64_t allocations_ = 0;
  bool injected_ = false;
  std::uint32_t next_anon_vma_id_ = 1, next_avc_id_ = 1, next_vma_id_ = 1, next_folio_id_ = 1;
  std::vector<anon_vma*> anon_vmas_;  // live; anon_vma::slot_ is the index
  std::unordered_map<const anon_vma_chain*, std::uint32_t> avc_ids_;
  LockCounts locks_{};
  std::vector<const anon_vma*> held_roots_;  // root rwsems held now
  std::size_t live_avcs_ = 0, live_vmas_ = 0, live_folios_ = 0;
  Touched touched_;
  bool tracking_ = false;  // since the first reset_touched()
};

}  // namespace rmaplab::model
