#include "kernel/trace_parser.h"

#include <algorithm>
#include <charconv>

namespace rmaplab::kernel {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view s, T* out, int base = 10) {
  if (base == 16 && (s.starts_with("0x") || s.starts_with("0X"))) s.remove_prefix(2);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// The "key=value" field of an event body, or nullopt.
std::optional<std::string_view> field(std::string_view body, std::string_view key) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find(' ', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view tok = body.substr(pos, end - pos);
    if (tok.size() > key.size() && tok.starts_with(key) && tok[key.size()] == '=')
      return tok.substr(key.size() + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

// The event header: "COMM-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: ".
// Returns the rest of the line ("EVENT: BODY") or nullopt.
struct Header {
  int pid = 0;
  int cpu = 0;
  std::uint64_t time_ns = 0;
  std::string_view rest;
};

// "11702.234922" (seconds.microseconds) -> ns; 0 if it is not a timestamp.
std::uint64_t parse_timestamp(std::string_view s) {
  std::size_t dot = s.find('.');
  std::uint64_t sec = 0, frac = 0;
  if (dot == std::string_view::npos || !parse_number(s.substr(0, dot), &sec)) return 0;
  std::string_view f = s.substr(dot + 1);
  if (f.empty() || f.size() > 9 || !parse_number(f, &frac)) return 0;
  for (std::size_t i = f.size(); i < 9; ++i) frac *= 10;
  return sec * 1000000000u + frac;
}

std::optional<Header> parse_header(std::string_view line) {
  // Find "[CPU]" preceded by "-PID" (and an optional "(TGID)"): the first
  // bracket that matches the whole pattern. comm may contain '-' or spaces.
  for (std::size_t open = line.find('['); open != std::string_view::npos;
       open = line.find('[', open + 1)) {
    std::size_t close = line.find(']', open);
    if (close == std::string_view::npos) return std::nullopt;
    int cpu = 0;
    if (!parse_number(line.substr(open + 1, close - open - 1), &cpu)) continue;
    std::size_t i = open;
    while (i > 0 && is_space(line[i - 1])) --i;
    if (i > 0 && line[i - 1] == ')') {  // record-tgid: "(  123)" or "(-------)"
      std::size_t lp = line.rfind('(', i - 1);
      if (lp == std::string_view::npos) continue;
      i = lp;
      while (i > 0 && is_space(line[i - 1])) --i;
    }
    std::size_t digits_end = i;
    while (i > 0 && is_digit(line[i - 1])) --i;
    if (i == digits_end || i == 0 || line[i - 1] != '-') continue;
    Header h;
    if (!parse_number(line.substr(i, digits_end - i), &h.pid)) continue;
    h.cpu = cpu;
    // After "]": optional flags, then "TIMESTAMP: ".
    std::size_t colon = line.find(": ", close);
    if (colon == std::string_view::npos) return std::nullopt;
    h.rest = line.substr(colon + 2);
    std::string_view before = line.substr(0, colon);
    std::size_t sp = before.find_last_of(" \t");
    h.time_ns = parse_timestamp(sp == std::string_view::npos ? before : before.substr(sp + 1));
    return h;
  }
  return std::nullopt;
}

TraceRecord parse_kmem(const Header& h, bool alloc, std::string_view body) {
  KmemRecord r;
  r.pid = h.pid;
  r.cpu = h.cpu;
  r.alloc = alloc;
  auto site = field(body, "call_site");
  auto ptr = field(body, "ptr");
  auto name = field(body, "name");
  auto bytes = field(body, "bytes_alloc");
  // Frees name their cache on every kernel verify supports; allocations
  // name it on newer kernels (6.18, 7.3; not 6.1, 6.12) and otherwise have
  // bytes_alloc.
  if (!site || !ptr || (!name && (!alloc || !bytes)))
    return MalformedRecord{"kmem event without call_site, ptr and name: " + std::string(body)};
  if (bytes && !parse_number(*bytes, &r.bytes_alloc))
    return MalformedRecord{"bad bytes_alloc: " + std::string(*bytes)};
  // "func+0x66/0x1e0", "func+0x66/0x1e0 [module]" (module is a separate
  // token), or a bare "0xffffffff81604386" when not symbolised.
  if (site->starts_with("0x")) {
    if (!parse_number(*site, &r.call_site_addr, 16))
      return MalformedRecord{"bad call_site address: " + std::string(*site)};
  } else {
    std::string_view sym = site->substr(0, site->find('+'));
    if (sym.empty()) return MalformedRecord{"empty call_site: " + std::string(body)};
    r.function = std::string(base_function_name(sym));
  }
  if (*ptr == "(null)") {
    r.ptr = 0;
  } else if (!parse_number(*ptr, &r.ptr, 16)) {
    return MalformedRecord{"bad ptr: " + std::string(*ptr)};
  }
  if (name) r.cache = std::string(*name);
  return r;
}

}  // namespace

std::string_view base_function_name(std::string_view symbol) {
  return symbol.substr(0, symbol.find('.'));
}

TraceRecord parse_trace_line(std::string_view line) {
  std::string_view t = trim(line);
  if (t.empty() || t.front() == '#') return OtherRecord{};
  if (t.starts_with("CPU:")) {
    // "CPU:0 [LOST 12 EVENTS]"
    std::size_t sp = t.find(' ');
    LostRecord lost;
    if (sp != std::string_view::npos && parse_number(t.substr(4, sp - 4), &lost.cpu) &&
        t.substr(sp).starts_with(" [LOST ")) {
      std::string_view n = t.substr(sp + 7);
      n = n.substr(0, n.find(' '));
      if (parse_number(n, &lost.count)) return lost;
    }
    return MalformedRecord{"unrecognised CPU line: " + std::string(t)};
  }
  auto h = parse_header(t);
  if (!h) return MalformedRecord{"no task, pid and CPU: " + std::string(t)};
  std::size_t colon = h->rest.find(": ");
  std::string_view event = h->rest.substr(0, colon);
  std::string_view body =
      colon == std::string_view::npos ? std::string_view{} : h->rest.substr(colon + 2);
  if (event == "tracing_mark_write") return MarkerRecord{h->pid, h->cpu, std::string(trim(body))};
  if (event == "kmem_cache_alloc") return parse_kmem(*h, true, body);
  if (event == "kmem_cache_free") return parse_kmem(*h, false, body);
  return OtherRecord{};
}

std::optional<EventLine> parse_event_line(std::string_view line) {
  std::string_view t = trim(line);
  if (t.empty() || t.front() == '#' || t.starts_with("CPU:")) return std::nullopt;
  auto h = parse_header(t);
  if (!h) return std::nullopt;
  EventLine e;
  e.pid = h->pid;
  e.cpu = h->cpu;
  e.time_ns = h->time_ns;
  std::size_t colon = h->rest.find(": ");
  e.event = h->rest.substr(0, colon);
  e.body = colon == std::string_view::npos ? std::string_view{} : h->rest.substr(colon + 2);
  return e;
}

std::optional<std::string_view> event_field(std::string_view body, std::string_view key) {
  return field(body, key);
}

std::optional<ObjectKind> classify(const KmemRecord& record, std::string_view function) {
  if (record.cache == "anon_vma") return ObjectKind::anon_vma;
  // The AVC cache may be merged under another cache's name, so the call
  // site alone says whether this is an AVC.
  function = base_function_name(function);
  if (std::find(kAvcCallSites.begin(), kAvcCallSites.end(), function) == kAvcCallSites.end())
    return std::nullopt;
  if (record.alloc && record.cache.empty() && record.bytes_alloc != kAvcObjectSize)
    return ObjectKind::anon_vma;
  return ObjectKind::anon_vma_chain;
}

}  // namespace rmaplab::kernel
