// The environment seam: pools, the event log, the live inventory and
// allocation-failure injection.
#include "model/env.h"

#include <algorithm>
#include <new>

#include "model/mm.h"
#include "model/rule.h"

namespace rmaplab::model {

SlotPool::SlotPool(std::size_t size, std::size_t align)
    : size_((std::max(size, sizeof(Free)) + align - 1) / align * align),
      per_chunk_(std::max<std::size_t>(16, 16384 / size_)) {}

SlotPool::~SlotPool() = default;

void* SlotPool::get() {
  if (!free_) {
    auto chunk = std::make_unique<std::byte[]>(size_ * per_chunk_);
    // Thread the new slots onto the free list, lowest address first.
    for (std::size_t i = per_chunk_; i-- > 0;) {
      auto* f = reinterpret_cast<Free*>(chunk.get() + i * size_);
      f->next = free_;
      free_ = f;
    }
    chunks_.push_back(std::move(chunk));
  }
  Free* f = free_;
  free_ = f->next;
  return f;
}

void SlotPool::put(void* p) {
  auto* f = static_cast<Free*>(p);
  f->next = free_;
  free_ = f;
}

Env::Env(Options options)
    : options_(options),
      profile_(options.profile ? options.profile : &linux_6_18()),
      anon_vma_pool_(sizeof(anon_vma), alignof(anon_vma)),
      avc_pool_(sizeof(anon_vma_chain), alignof(anon_vma_chain)),
      vma_pool_(sizeof(vm_area_struct), alignof(vm_area_struct)),
      folio_pool_(sizeof(folio), alignof(folio)) {}

// Objects still alive go with the pools' chunks; all are trivially
// destructible in effect (no owned resources).
Env::~Env() = default;

bool Env::fail_now() {
  ++allocations_;
  if (options_.fail_alloc != 0 && allocations_ == options_.fail_alloc) {
    injected_ = true;
    cover(Path::alloc_failure_unwound);
    return true;
  }
  return false;
}

anon_vma* Env::alloc_anon_vma(CallSite site) {
  if (fail_now()) return nullptr;
  auto* av = new (anon_vma_pool_.get()) anon_vma();
  av->id_ = next_anon_vma_id_++;
  av->slot_ = static_cast<std::uint32_t>(anon_vmas_.size());
  anon_vmas_.push_back(av);
  touch(av, Touched::kLinks | Touched::kCounters);  // new: no AVC in its tree yet
  ++site_counts_[static_cast<int>(site)].anon_vma_alloc;
  if (options_.record_events)
    events_.push_back({EventType::alloc, ObjectKind::anon_vma, site, av->id_});
  return av;
}

void Env::free_anon_vma(anon_vma* av, CallSite site) {
  MODEL_RULE(av->refcount_ == 0, "anon_vma freed while pinned (anon_vma_free VM_BUG_ON)",
             "anon_vma #{} is freed with refcount {}.", av->id_, av->refcount_);
  MODEL_RULE(av->rb_root.empty(), "anon_vma freed with AVCs in its tree",
             "anon_vma #{} is freed while AVCs are still linked in its interval tree.", av->id_);
  // anon_vma_free: if someone holds the family's rwsem (an optimistic
  // folio_lock_anon_vma_read), wait for them by taking it once.
  if (rwsem_is_locked(av->root_)) count_lock(Lock::anon_vma_root_write);
  ++site_counts_[static_cast<int>(site)].anon_vma_free;
  if (options_.record_events)
    events_.push_back({EventType::free, ObjectKind::anon_vma, site, av->id_});
  anon_vma* last = anon_vmas_.back();
  anon_vmas_[av->slot_] = last;
  last->slot_ = av->slot_;
  anon_vmas_.pop_back();
  av->~anon_vma();
  anon_vma_pool_.put(av);
}

anon_vma_chain* Env::alloc_avc(CallSite site) {
  if (fail_now()) return nullptr;
  auto* avc = new (avc_pool_.get()) anon_vma_chain();
  ++live_avcs_;
  ++site_counts_[static_cast<int>(site)].avc_alloc;
  if (options_.record_events) {
    const std::uint32_t id = next_avc_id_++;
    avc_ids_[avc] = id;
    events_.push_back({EventType::alloc, ObjectKind::anon_vma_chain, site, id});
  }
  return avc;
}

void Env::free_avc(anon_vma_chain* avc, CallSite site) {
  MODEL_RULE(avc->same_vma.empty(), "AVC freed while on a same_vma list",
             "The AVC linking VMA #{} to anon_vma #{} is freed while still on the VMA's list.",
             avc->vma ? avc->vma->id : 0, avc->anon_vma ? avc->anon_vma->id_ : 0);
  --live_avcs_;
  // Its tree must not hold it any more: the checker looks at that tree again.
  if (avc->anon_vma && is_live(avc->anon_vma)) touch(avc->anon_vma, Touched::kTreeErase);
  if (tracking_) touched_.freed_avcs.push_back({avc, touched_.inserted.size()});
  ++site_counts_[static_cast<int>(site)].avc_free;
  if (options_.record_events) {
    auto it = avc_ids_.find(avc);
    MODEL_RULE(it != avc_ids_.end(), "AVC freed twice",
               "An AVC that is not live (freed already, or never allocated) is freed.");
    events_.push_back({EventType::free, ObjectKind::anon_vma_chain, site, it->second});
    avc_ids_.erase(it);
  }
  avc->~anon_vma_chain();
  avc_pool_.put(avc);
}

vm_area_struct* Env::alloc_vma() {
  auto* vma = new (vma_pool_.get()) vm_area_struct();
  vma->id = next_vma_id_++;
  ++live_vmas_;
  if (tracking_) {
    touched_.allocated_vmas.push_back(vma->id);
    touch(vma);  // it must end the operation filed in an mm, or freed (B1)
  }
  return vma;
}

void Env::free_vma(vm_area_struct* vma) {
  MODEL_RULE(!vma->anon_vma && vma->anon_vma_chain.empty(), "VMA freed while linked to anon_vmas",
             "VMA #{} is freed while still linked (active anon_vma {}, chain length {}).", vma->id,
             vma->anon_vma ? fmt::format("#{}", vma->anon_vma->id_) : std::string("none"),
             vma->anon_vma_chain.size());
  --live_vmas_;
  if (tracking_) touched_.freed_vmas.push_back(vma->id);
  vma->~vm_area_struct();
  vma_pool_.put(vma);
}

folio* Env::alloc_folio() {
  auto* f = new (folio_pool_.get()) folio();
  f->id = next_folio_id_++;
  ++live_folios_;
  return f;
}

void Env::free_folio(folio* f) {
  --live_folios_;
  if (tracking_) touched_.freed_folios.push_back(f->id);
  f->~folio();
  folio_pool_.put(f);
}

std::string_view to_string(Path path) {
  switch (path) {
    case Path::prepare_new_root:
      return "fault allocated a root anon_vma";
    case Path::prepare_reused_neighbour:
      return "fault reused a neighbour's anon_vma";
    case Path::fork_reused_anon_vma:
      return "fork reused an anon_vma";
    case Path::fork_new_anon_vma:
      return "fork allocated an anon_vma";
    case Path::split:
      return "split cloned a chain";
    case Path::merge:
      return "merge";
    case Path::merge_dup_anon_vma:
      return "merge with dup_anon_vma";
    case Path::mremap_copy_merged:
      return "mremap copy merged";
    case Path::cow_reuse:
      return "COW reuse";
    case Path::cow_copy:
      return "COW copy";
    case Path::unlink_freed_anon_vma:
      return "unlink freed an anon_vma";
    case Path::fork_failed:
      return "fork failed, child torn down";
    case Path::alloc_failure_unwound:
      return "allocation failure unwound";
  }
  return "?";
}

void Env::lock(Lock lock, const anon_vma* root) {
  count_lock(lock);
  if (lock == Lock::anon_vma_root_write || lock == Lock::anon_vma_root_read) {
    // Only the family root's rwsem is ever taken (anon_vma_lock_write
    // takes anon_vma->root->rwsem).
    MODEL_RULE(root && root->is_root(), "rwsem taken on a non-root anon_vma",
               "{} is taken as a family root's rwsem.",
               root ? fmt::format("anon_vma #{} (root #{})", root->id_, root->root_->id_)
                    : std::string("no anon_vma"));
    // A second down_write of a held rwsem would deadlock the kernel.
    MODEL_RULE(!rwsem_is_locked(root), "root rwsem taken twice",
               "anon_vma #{}'s rwsem is taken while already held.", root->id_);
    held_roots_.push_back(root);
  }
}

void Env::unlock(Lock lock, const anon_vma* root) {
  if (lock != Lock::anon_vma_root_write && lock != Lock::anon_vma_root_read) return;
  auto it = std::find(held_roots_.begin(), held_roots_.end(), root);
  MODEL_RULE(it != held_roots_.end(), "root rwsem released while not held",
             "{}'s rwsem is released but is not held.",
             root ? fmt::format("anon_vma #{}", root->id_) : std::string("no anon_vma"));
  held_roots_.erase(it);
}

bool Env::rwsem_is_locked(const anon_vma* root) const {
  return std::find(held_roots_.begin(), held_roots_.end(), root) != held_roots_.end();
}

bool Env::is_live(const anon_vma* av, std::uint32_t id) const {
  // A freed anon_vma's slot stays readable pool memory, and may hold a new
  // object: only a live-list entry with the recorded id is the same object.
  const std::uint32_t slot = av->slot_;
  return slot < anon_vmas_.size() && anon_vmas_[slot] == av && av->id_ == id;
}

bool Env::is_live(const anon_vma* av) const {
  const std::uint32_t slot = av->slot_;
  return slot < anon_vmas_.size() && anon_vmas_[slot] == av;
}

void Env::touch_pages(const vm_area_struct* vma) {
  touch_pages(vma->vm_mm->slot, vma->vm_start, vma->vm_end);
}

void Env::touch_range(const vm_area_struct* vma, std::uint32_t old_start, std::uint32_t old_end,
                      std::uint64_t old_pgoff) {
  if (!tracking_) return;
  touch(vma);
  vma->for_each_avc([&](const anon_vma_chain& avc) {
    touched_.inserted.push_back(&avc);
    touch(avc.anon_vma, Touched::kTreeRekey);
  });
  const int slot = vma->vm_mm->slot;
  const std::uint32_t start = vma->vm_start, end = vma->vm_end;
  // A page keeps its pgoff iff vm_pgoff - vm_start did not change.
  if (vma->vm_pgoff - start != old_pgoff - old_start || end <= old_start || start >= old_end) {
    touched_.context_changed.push_back(vma->id);
    touch_pages(slot, start, end);
    return;
  }
  if (start < old_start) touch_pages(slot, start, old_start);
  if (end > old_end) touch_pages(slot, old_end, end);
}

void Env::touch_context(const vm_area_struct* vma) {
  if (!tracking_) return;
  touch(vma);
  touched_.context_changed.push_back(vma->id);
  if (vma->vm_mm) touch_pages(vma);
}

std::uint32_t Env::avc_id(const anon_vma_chain* avc) const {
  auto it = avc_ids_.find(avc);
  return it == avc_ids_.end() ? 0 : it->second;
}

}  // namespace rmaplab::model
