// Snapshots of a script process's arena from /proc: its VMAs
// (/proc/PID/maps) and present pages (/proc/PID/pagemap, /proc/kpagecount,
// /proc/kpageflags).
//
// Read a process's /proc files only while it is idle (blocked on its command
// pipe), never while it exits: the reader holds the mm for a moment, and an
// exit that finds it held leaves the teardown to the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "kernel/sys.h"
#include "rmaplab/kernel.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

struct MapsEntry {
  std::uint64_t start = 0, end = 0;  // bytes
  std::string perms;                 // "rw-p"
};

// One line of /proc/PID/maps, or nullopt if it is not one.
std::optional<MapsEntry> parse_maps_line(std::string_view line);

// The VMAs of a maps text that lie in the arena, in arena pages.
std::vector<VmaLayout> arena_vmas(std::string_view maps);

// Decoded /proc/PID/pagemap entry.
struct PagemapEntry {
  bool present = false;
  bool exclusive = false;  // bit 56
  std::uint64_t pfn = 0;   // bits 0-54
};
PagemapEntry decode_pagemap(std::uint64_t raw);

inline constexpr std::uint64_t kKpfZeroPage = std::uint64_t{1} << 24;  // KPF_ZERO_PAGE

class Snapshotter {
 public:
  // Opens /proc/kpagecount and /proc/kpageflags.
  static Result<std::unique_ptr<Snapshotter>> open();

  // VMAs and present pages of pid's arena.
  Status capture(int pid, ProcessState* out) const;

 private:
  Fd kpagecount_, kpageflags_;
};

}  // namespace rmaplab::kernel
