// Parsing the text trace of a tracefs instance (the `trace` and `trace_pipe`
// files): pure functions, no I/O.
//
// The lines that matter look like this (the default trace options: irq-info,
// context-info, symbolised call sites; `record-tgid` adds "(tgid)"):
//
//   rmlh-4242-4250    [000] .....   12.345678: kmem_cache_alloc:
//   call_site=anon_vma_clone+0x66/0x1e0 ptr=ffff888104d88700 name=anon_vma_chain bytes_req=64 ...
//   rmlh-4242-4250    [000] .....   12.345679: kmem_cache_free:
//   call_site=unlink_anon_vmas+0x1b0/0x1f0 ptr=ffff888104d88700 name=anon_vma_chain runner-4242
//   [000] ...1.   12.345680: tracing_mark_write: rmaplab op 7 end CPU:0 [LOST 12 EVENTS]
//
// Which records are anon_vma and AVC events is decided by classify(): the
// `anon_vma` cache is not merged with any other, so its name identifies it;
// the `anon_vma_chain` cache is merged with other 64-byte caches (fs_cache,
// eventpoll_pwq, ...), whose objects also print name=anon_vma_chain (and on
// another boot the merged cache could carry another of those names), so an
// AVC is recognised by the function that allocated or freed it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "rmaplab/kernel.h"

namespace rmaplab::kernel {

// The functions that allocate or free anon_vma_chain objects in 6.18
// (mm/rmap.c; anon_vma_chain_alloc/free are inlined into them).
inline constexpr std::array<std::string_view, 5> kAvcCallSites = {
    "__anon_vma_prepare", "anon_vma_clone", "anon_vma_fork", "unlink_anon_vmas", "__put_anon_vma"};

// A trace_marker write.
struct MarkerRecord {
  int pid = 0;
  int cpu = 0;
  std::string text;  // without the trailing newline
};

// A kmem_cache_alloc or kmem_cache_free event.
struct KmemRecord {
  int pid = 0;
  int cpu = 0;
  bool alloc = false;
  // The calling function without "+off/size" and without compiler suffixes
  // (".cold", ".part.0", ...), or empty if the trace printed a bare address.
  std::string function;
  std::uint64_t call_site_addr = 0;  // set only when function is empty
  std::uint64_t ptr = 0;
  std::string cache;  // the name= field; empty where the event has none
  // bytes_alloc= (allocations): the object's size in its cache. What tells
  // an anon_vma from an AVC where kmem_cache_alloc has no name field (6.1,
  // 6.12): both come from __anon_vma_prepare and anon_vma_fork.
  std::uint32_t bytes_alloc = 0;
};

// "CPU:N [LOST M EVENTS]": the ring buffer overflowed.
struct LostRecord {
  int cpu = 0;
  std::uint64_t count = 0;
};

// A line that looks like an event line but could not be understood.
struct MalformedRecord {
  std::string reason;
};

// Comments, blank lines and events of other kinds.
struct OtherRecord {};

using TraceRecord =
    std::variant<OtherRecord, MarkerRecord, KmemRecord, LostRecord, MalformedRecord>;

TraceRecord parse_trace_line(std::string_view line);

// Any event line, split but not interpreted: "COMM-PID [CPU] FLAGS
// SECONDS.MICROS: EVENT: BODY". nullopt for comments, blank lines, "CPU:N
// [LOST ...]" lines and lines without a task, pid and CPU. The views point
// into `line`. time_ns is the printed timestamp (microseconds) in ns.
struct EventLine {
  int pid = 0;
  int cpu = 0;
  std::uint64_t time_ns = 0;
  std::string_view event;  // "sys_enter", "kmem_cache_alloc", ...
  std::string_view body;   // what the event's print fmt printed
};
std::optional<EventLine> parse_event_line(std::string_view line);

// The value of the "key=value" token of an event body, or nullopt.
std::optional<std::string_view> event_field(std::string_view body, std::string_view key);

// "anon_vma_clone.cold" -> "anon_vma_clone".
std::string_view base_function_name(std::string_view symbol);

// The size of struct anon_vma_chain on 64-bit kernels (every version with
// the struct): what bytes_alloc shows for an AVC (slab_nomerge or not).
inline constexpr std::uint32_t kAvcObjectSize = 64;

// Whether a kmem record is an anon_vma or AVC event, given the function its
// call site resolves to (the record's own `function`, or a lookup of
// `call_site_addr` when the trace was not symbolised). An allocation without
// a cache name (kernels before the field) from one of the call sites is an
// AVC if it has the AVC's size, else an anon_vma.
std::optional<ObjectKind> classify(const KmemRecord& record, std::string_view function);

}  // namespace rmaplab::kernel
