// What the model tells the outside world about object lifetimes: one Event
// per allocation or free of an anon_vma or anon_vma_chain, charged to the
// kernel function that performs it, in the kernel's order. These are the
// same facts `rmaplab verify` reads from the kmem_cache_alloc/free
// tracepoints, so the two can be compared event for event.
#pragma once

#include <cstdint>
#include <string_view>

namespace rmaplab::model {

enum class ObjectKind : std::uint8_t { anon_vma, anon_vma_chain };

// The kernel functions that allocate or free the two objects (6.18).
enum class CallSite : std::uint8_t {
  anon_vma_prepare,  // __anon_vma_prepare
  anon_vma_clone,
  anon_vma_fork,
  unlink_anon_vmas,
  put_anon_vma,  // __put_anon_vma
};
inline constexpr int kCallSites = 5;

enum class EventType : std::uint8_t { alloc, free };

struct Event {
  EventType type;
  ObjectKind kind;
  CallSite site;
  std::uint32_t id;  // stable per kind: 1, 2, ... in order of allocation
};

// The kernel's spelling: "__anon_vma_prepare", "anon_vma_clone", ...
std::string_view to_string(CallSite site);
std::string_view to_string(ObjectKind kind);  // "anon_vma", "avc"

}  // namespace rmaplab::model
