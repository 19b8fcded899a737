// The names of the shared vocabulary (include/rmaplab/event.h).
#include "rmaplab/event.h"

namespace rmaplab {

std::string_view to_string(CallSite site) {
  switch (site) {
    case CallSite::anon_vma_prepare:
      return "__anon_vma_prepare";
    case CallSite::anon_vma_clone:
      return "anon_vma_clone";
    case CallSite::anon_vma_fork:
      return "anon_vma_fork";
    case CallSite::unlink_anon_vmas:
      return "unlink_anon_vmas";
    case CallSite::put_anon_vma:
      return "__put_anon_vma";
  }
  return "?";
}

std::optional<CallSite> call_site_named(std::string_view function) {
  for (CallSite site : kAllCallSites)
    if (to_string(site) == function) return site;
  return std::nullopt;
}

std::string_view to_string(ObjectKind kind) {
  return kind == ObjectKind::anon_vma ? "anon_vma" : "avc";
}

std::string_view to_string(EventType type) { return type == EventType::alloc ? "alloc" : "free"; }

std::string_view to_string(Lock lock) {
  switch (lock) {
    case Lock::anon_vma_root_write:
      return "anon_vma_root_write";
    case Lock::anon_vma_root_read:
      return "anon_vma_root_read";
    case Lock::mmap_lock_write:
      return "mmap_lock_write";
    case Lock::mmap_lock_read:
      return "mmap_lock_read";
    case Lock::page_table_lock:
      return "page_table_lock";
    case Lock::pte_lock:
      return "pte_lock";
  }
  return "?";
}

Counts& Counts::operator+=(const Counts& o) {
  anon_vma_alloc += o.anon_vma_alloc;
  anon_vma_free += o.anon_vma_free;
  avc_alloc += o.avc_alloc;
  avc_free += o.avc_free;
  return *this;
}

Counts Counts::operator-(const Counts& o) const {
  return {anon_vma_alloc - o.anon_vma_alloc, anon_vma_free - o.anon_vma_free,
          avc_alloc - o.avc_alloc, avc_free - o.avc_free};
}

LockCounts LockCounts::operator-(const LockCounts& o) const {
  LockCounts d;
  for (int i = 0; i < kLocks; ++i) d.n[i] = n[i] - o.n[i];
  return d;
}

LockCounts& LockCounts::operator+=(const LockCounts& o) {
  for (int i = 0; i < kLocks; ++i) n[i] += o.n[i];
  return *this;
}

}  // namespace rmaplab
