#include "kernel/procfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "rmaplab/script.h"

namespace rmaplab::kernel {
namespace {

Result<std::uint64_t> pread_u64(int fd, std::uint64_t index, const char* what) {
  std::uint64_t v = 0;
  ssize_t n = pread(fd, &v, sizeof v, off_t(index * sizeof v));
  if (n != ssize_t(sizeof v))
    return Error{fmt::format("cannot read {} entry {}: {}", what, index,
                             n < 0 ? std::strerror(errno) : "short read")};
  return v;
}

}  // namespace

std::optional<MapsEntry> parse_maps_line(std::string_view line) {
  MapsEntry e;
  const char* p = line.data();
  const char* end = p + line.size();
  auto r1 = std::from_chars(p, end, e.start, 16);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '-') return std::nullopt;
  auto r2 = std::from_chars(r1.ptr + 1, end, e.end, 16);
  if (r2.ec != std::errc() || end - r2.ptr < 5 || *r2.ptr != ' ') return std::nullopt;
  e.perms.assign(r2.ptr + 1, 4);
  return e;
}

std::vector<VmaLayout> arena_vmas(std::string_view maps) {
  const std::uint64_t lo = kArenaBase, hi = kArenaBase + kArenaPages * kPageSize;
  std::vector<VmaLayout> vmas;
  for (std::size_t pos = 0; pos < maps.size();) {
    std::size_t nl = maps.find('\n', pos);
    if (nl == std::string_view::npos) nl = maps.size();
    auto e = parse_maps_line(maps.substr(pos, nl - pos));
    pos = nl + 1;
    if (!e || e->end <= lo || e->start >= hi) continue;
    std::uint64_t s = std::max(e->start, lo), t = std::min(e->end, hi);
    vmas.push_back(
        {std::uint32_t((s - lo) / kPageSize), std::uint32_t((t - lo) / kPageSize), e->perms});
  }
  return vmas;
}

PagemapEntry decode_pagemap(std::uint64_t raw) {
  PagemapEntry e;
  e.present = (raw >> 63) & 1;
  e.exclusive = (raw >> 56) & 1;
  e.pfn = raw & ((std::uint64_t{1} << 55) - 1);
  return e;
}

Result<std::unique_ptr<Snapshotter>> Snapshotter::open() {
  auto s = std::make_unique<Snapshotter>();
  s->kpagecount_ = Fd(::open("/proc/kpagecount", O_RDONLY | O_CLOEXEC));
  s->kpageflags_ = Fd(::open("/proc/kpageflags", O_RDONLY | O_CLOEXEC));
  if (!s->kpagecount_ || !s->kpageflags_)
    return Error{
        fmt::format("cannot open /proc/kpagecount and /proc/kpageflags: {}", std::strerror(errno))};
  return s;
}

Status Snapshotter::capture(int pid, ProcessState* out) const {
  auto maps = read_text_file(fmt::format("/proc/{}/maps", pid));
  if (!maps.ok()) return maps.error();
  out->vmas = arena_vmas(*maps);
  out->pages.clear();

  const std::string pagemap_path = fmt::format("/proc/{}/pagemap", pid);
  Fd pagemap(::open(pagemap_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!pagemap) return Error{fmt::format("cannot open {}: {}", pagemap_path, std::strerror(errno))};
  constexpr std::uint32_t kChunk = 65536;  // pagemap entries per read
  std::vector<std::uint64_t> raw;
  for (const VmaLayout& v : out->vmas) {
    for (std::uint32_t at = v.start; at < v.end; at += kChunk) {
      raw.resize(std::min(kChunk, v.end - at));
      const std::uint64_t index = kArenaBase / kPageSize + at;
      const std::size_t bytes = raw.size() * sizeof raw[0];
      ssize_t n = pread(pagemap.get(), raw.data(), bytes, off_t(index * sizeof raw[0]));
      if (n != ssize_t(bytes))
        return Error{fmt::format("cannot read {}: {}", pagemap_path,
                                 n < 0 ? std::strerror(errno) : "short read")};
      for (std::size_t i = 0; i < raw.size(); ++i) {
        PagemapEntry e = decode_pagemap(raw[i]);
        if (!e.present) continue;
        PageInfo p;
        p.page = at + std::uint32_t(i);
        p.pfn = e.pfn;
        p.exclusive = e.exclusive;
        auto count = pread_u64(kpagecount_.get(), e.pfn, "/proc/kpagecount");
        auto flags = pread_u64(kpageflags_.get(), e.pfn, "/proc/kpageflags");
        if (!count.ok()) return count.error();
        if (!flags.ok()) return flags.error();
        p.mapcount = *count;
        p.zero_page = (*flags & kKpfZeroPage) != 0;
        out->pages.push_back(p);
      }
    }
  }
  return ok_status();
}

}  // namespace rmaplab::kernel
