// The vocabulary of what a run observes, shared by the model, the driver,
// the reports, diff and verify: which object (anon_vma or anon_vma_chain)
// was allocated or freed, by which kernel function, how many of each, and
// which locks were taken. One type per concept, from the model's Env to the
// JSON a report writes; names become strings only there.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rmaplab {

enum class ObjectKind : std::uint8_t { anon_vma, anon_vma_chain };

enum class EventType : std::uint8_t { alloc, free };

// The kernel functions that allocate or free the two objects (6.18).
enum class CallSite : std::uint8_t {
  anon_vma_prepare,  // __anon_vma_prepare
  anon_vma_clone,
  anon_vma_fork,
  unlink_anon_vmas,
  put_anon_vma,  // __put_anon_vma
};
inline constexpr int kCallSites = 5;

// One allocation or free, charged to the function that performs it, in the
// kernel's order: the facts the kmem_cache_alloc/free tracepoints show.
struct Event {
  EventType type = EventType::alloc;
  ObjectKind kind = ObjectKind::anon_vma;
  CallSite site = CallSite::anon_vma_prepare;
  std::uint32_t id = 0;  // stable per kind: 1, 2, ... in order of allocation
  bool operator==(const Event&) const = default;
};

// Allocations and frees of the two objects: during one operation, at one
// call site, or over a run.
struct Counts {
  std::uint64_t anon_vma_alloc = 0, anon_vma_free = 0, avc_alloc = 0, avc_free = 0;

  bool empty() const { return !anon_vma_alloc && !anon_vma_free && !avc_alloc && !avc_free; }
  std::uint64_t& of(EventType type, ObjectKind kind) {
    if (kind == ObjectKind::anon_vma)
      return type == EventType::alloc ? anon_vma_alloc : anon_vma_free;
    return type == EventType::alloc ? avc_alloc : avc_free;
  }
  std::uint64_t of(EventType type, ObjectKind kind) const {
    return const_cast<Counts*>(this)->of(type, kind);
  }
  void add(const Event& e) { ++of(e.type, e.kind); }
  Counts& operator+=(const Counts& o) {
    anon_vma_alloc += o.anon_vma_alloc;
    anon_vma_free += o.anon_vma_free;
    avc_alloc += o.avc_alloc;
    avc_free += o.avc_free;
    return *this;
  }
  Counts operator-(const Counts& o) const {
    return {anon_vma_alloc - o.anon_vma_alloc, anon_vma_free - o.anon_vma_free,
            avc_alloc - o.avc_alloc, avc_free - o.avc_free};
  }
  bool operator==(const Counts&) const = default;
};

// The locks the model counts acquisitions of (src/model/env.h says where).
// In the order of their names, so tables list them the same way everywhere.
enum class Lock : std::uint8_t {
  anon_vma_root_read,
  anon_vma_root_write,
  mmap_lock_read,
  mmap_lock_write,
  page_table_lock,
  pte_lock,
};
inline constexpr int kLocks = 6;
// Acquisitions per lock, indexed by Lock.
struct LockCounts {
  std::array<std::uint64_t, kLocks> n{};

  std::uint64_t& operator[](Lock lock) { return n[static_cast<int>(lock)]; }
  std::uint64_t operator[](Lock lock) const { return n[static_cast<int>(lock)]; }
  LockCounts operator-(const LockCounts& o) const {
    LockCounts d;
    for (int i = 0; i < kLocks; ++i) d.n[i] = n[i] - o.n[i];
    return d;
  }
  LockCounts& operator+=(const LockCounts& o) {
    for (int i = 0; i < kLocks; ++i) n[i] += o.n[i];
    return *this;
  }
  bool operator==(const LockCounts&) const = default;
};

// Every value of an enum above, in order, for loops and tables.
inline constexpr std::array<CallSite, kCallSites> kAllCallSites{
    CallSite::anon_vma_prepare, CallSite::anon_vma_clone, CallSite::anon_vma_fork,
    CallSite::unlink_anon_vmas, CallSite::put_anon_vma};
inline constexpr std::array<Lock, kLocks> kAllLocks{
    Lock::anon_vma_root_read, Lock::anon_vma_root_write, Lock::mmap_lock_read,
    Lock::mmap_lock_write,    Lock::page_table_lock,     Lock::pte_lock};

// The kernel's spelling: "__anon_vma_prepare", "anon_vma_clone", ...
constexpr std::string_view to_string(CallSite site) {
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

// The call site a kernel function name denotes, if it is one.
constexpr std::optional<CallSite> call_site_named(std::string_view function) {
  for (CallSite site : kAllCallSites)
    if (to_string(site) == function) return site;
  return std::nullopt;
}

constexpr std::string_view to_string(ObjectKind kind) {  // "anon_vma", "avc"
  return kind == ObjectKind::anon_vma ? "anon_vma" : "avc";
}

constexpr std::string_view to_string(EventType type) {  // "alloc", "free"
  return type == EventType::alloc ? "alloc" : "free";
}

// "anon_vma_root_write", "mmap_lock_read", ...: the names reports use.
constexpr std::string_view to_string(Lock lock) {
  switch (lock) {
    case Lock::anon_vma_root_read:
      return "anon_vma_root_read";
    case Lock::anon_vma_root_write:
      return "anon_vma_root_write";
    case Lock::mmap_lock_read:
      return "mmap_lock_read";
    case Lock::mmap_lock_write:
      return "mmap_lock_write";
    case Lock::page_table_lock:
      return "page_table_lock";
    case Lock::pte_lock:
      return "pte_lock";
  }
  return "?";
}

}  // namespace rmaplab
