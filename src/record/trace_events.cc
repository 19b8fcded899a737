#include "record/trace_events.h"

#include <charconv>

#include <fmt/format.h>

namespace rmaplab::record {
namespace {

using kernel::event_field;

template <class T>
bool number(std::string_view s, T* out, int base = 10) {
  if (base == 16 && (s.starts_with("0x") || s.starts_with("0X"))) s.remove_prefix(2);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

Error bad(std::string_view line, std::string_view what) {
  return Error{fmt::format("cannot read the trace line \"{}\": {}", line, what)};
}

// "NR 9 (0, 2000, 3, 22, ffffffffffffffff, 0)"
std::optional<SysEnter> sys_enter(std::string_view body) {
  if (!body.starts_with("NR ")) return std::nullopt;
  std::size_t open = body.find(" (");
  SysEnter e;
  if (open == std::string_view::npos || !number(body.substr(3, open - 3), &e.nr) ||
      !body.ends_with(")"))
    return std::nullopt;
  std::string_view args = body.substr(open + 2, body.size() - open - 3);
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    std::size_t comma = args.find(", ");
    std::string_view a = args.substr(0, comma);
    if (!number(a, &e.args[i], 16)) return std::nullopt;
    if (comma == std::string_view::npos) return i + 1 == e.args.size() ? std::optional(e) : std::nullopt;
    args.remove_prefix(comma + 2);
  }
  return std::nullopt;
}

// "NR 9 = 140737354076160"
std::optional<SysExit> sys_exit(std::string_view body) {
  if (!body.starts_with("NR ")) return std::nullopt;
  std::size_t eq = body.find(" = ");
  SysExit e;
  if (eq == std::string_view::npos || !number(body.substr(3, eq - 3), &e.nr) ||
      !number(body.substr(eq + 3), &e.ret))
    return std::nullopt;
  return e;
}

// The value of key= up to " next=": for fields that may hold spaces.
std::optional<std::string_view> field_until(std::string_view body, std::string_view key,
                                            std::string_view next) {
  std::string k = std::string(key) + "=";
  if (!body.starts_with(k)) return std::nullopt;
  std::size_t end = body.rfind(" " + std::string(next) + "=");
  if (end == std::string_view::npos || end < k.size()) return std::nullopt;
  return body.substr(k.size(), end - k.size());
}

}  // namespace

Result<TraceEvent> decode_trace_line(std::string_view line) {
  TraceEvent out;
  std::string_view t = line;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  if (t.starts_with("CPU:")) {
    kernel::TraceRecord r = kernel::parse_trace_line(line);
    if (auto* lost = std::get_if<kernel::LostRecord>(&r)) {
      out.cpu = lost->cpu;
      out.body = Lost{lost->cpu, lost->count};
      return out;
    }
    return bad(line, "an unrecognised CPU line");
  }
  auto e = kernel::parse_event_line(line);
  if (!e) {
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.remove_suffix(1);
    if (t.empty() || t.front() == '#') return out;
    return bad(line, "no task, pid and CPU");
  }
  out.pid = e->pid;
  out.cpu = e->cpu;
  out.time_ns = e->time_ns;
  std::string_view b = e->body;
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.remove_suffix(1);
  const std::string_view ev = e->event;
  if (ev == "sys_enter") {
    auto s = sys_enter(b);
    if (!s) return bad(line, "a sys_enter without NR and six arguments");
    out.body = *s;
  } else if (ev == "sys_exit") {
    auto s = sys_exit(b);
    if (!s) return bad(line, "a sys_exit without NR and a return value");
    out.body = *s;
  } else if (ev == "page_fault_user" || ev == "page_fault_kernel") {
    PageFault f;
    f.user_mode = ev == "page_fault_user";
    auto addr = event_field(b, "address"), ip = event_field(b, "ip"),
         code = event_field(b, "error_code");
    if (!addr || !ip || !code || !number(*addr, &f.address, 16) || !number(*code, &f.error_code, 16))
      return bad(line, "a page fault without address, ip and error_code");
    f.ip = std::string(*ip);
    out.body = std::move(f);
  } else if (ev == "task_newtask") {
    NewTask n;
    auto pid = event_field(b, "pid"), flags = event_field(b, "clone_flags");
    if (!pid || !flags || !number(*pid, &n.child) || !number(*flags, &n.clone_flags, 16))
      return bad(line, "a task_newtask without pid and clone_flags");
    out.body = n;
  } else if (ev == "sched_process_fork") {
    ProcessFork f;
    auto pid = event_field(b, "pid"), child = event_field(b, "child_pid");
    if (!pid || !child || !number(*pid, &f.parent) || !number(*child, &f.child))
      return bad(line, "a sched_process_fork without pid and child_pid");
    out.body = f;
  } else if (ev == "sched_process_exec") {
    ProcessExec x;
    auto name = field_until(b, "filename", "pid");
    auto pid = event_field(b, "pid"), old = event_field(b, "old_pid");
    if (!name || !pid || !old || !number(*pid, &x.pid) || !number(*old, &x.old_pid))
      return bad(line, "a sched_process_exec without filename, pid and old_pid");
    x.filename = std::string(*name);
    out.body = std::move(x);
  } else if (ev == "sched_process_exit") {
    ProcessExit x;
    auto pid = event_field(b, "pid"), dead = event_field(b, "group_dead");
    if (!pid || !number(*pid, &x.pid)) return bad(line, "a sched_process_exit without pid");
    x.group_dead = dead && *dead == "true";
    out.body = x;
  } else if (ev == "signal_deliver") {
    SignalDeliver s;
    auto sig = event_field(b, "sig");
    if (!sig || !number(*sig, &s.sig)) return bad(line, "a signal_deliver without sig");
    out.body = s;
  } else if (ev == "kmem_cache_alloc" || ev == "kmem_cache_free") {
    kernel::TraceRecord r = kernel::parse_trace_line(line);
    if (auto* m = std::get_if<kernel::MalformedRecord>(&r)) return bad(line, m->reason);
    auto* k = std::get_if<kernel::KmemRecord>(&r);
    if (!k) return bad(line, "a kmem event that is not one");
    auto kind = kernel::classify(*k, k->function);
    if (!kind) return out;  // another 64-byte cache merged with anon_vma_chain
    Kmem m;
    m.event.alloc = k->alloc;
    m.event.object =
        *kind == ObjectKind::anon_vma ? KernelObject::anon_vma : KernelObject::anon_vma_chain;
    m.event.call_site = k->function;
    m.event.ptr = k->ptr;
    m.event.time_ns = out.time_ns;
    m.event.pid = out.pid;
    out.body = std::move(m);
  }
  return out;
}

}  // namespace rmaplab::record
