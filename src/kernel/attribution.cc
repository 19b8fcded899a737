#include "kernel/attribution.h"

#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "kernel/trace_parser.h"

namespace rmaplab::kernel {
namespace {

constexpr std::string_view kMarkerPrefix = "rmaplab op ";
constexpr std::size_t kForever = std::numeric_limits<std::size_t>::max();

}  // namespace

std::string begin_marker(int line) {
  return std::string(kMarkerPrefix) + std::to_string(line) + " begin";
}
std::string end_marker(int line) {
  return std::string(kMarkerPrefix) + std::to_string(line) + " end";
}

Attributor::Attributor(std::vector<int> op_lines, std::vector<FunctionRange> avc_ranges, int cpu)
    : op_lines_(std::move(op_lines)), avc_ranges_(std::move(avc_ranges)), cpu_(cpu) {}

void Attributor::add_process(int pid, std::size_t first_op) {
  processes_.emplace(pid, Lifetime{first_op, kForever});
}

void Attributor::end_process(int pid, std::size_t last_op) {
  auto [lo, hi] = processes_.equal_range(pid);
  for (auto it = lo; it != hi; ++it)
    if (it->second.last_op == kForever) it->second.last_op = last_op;
  ended_.emplace_back(pid, last_op);
}

std::vector<Event> Attributor::take(std::size_t op) {
  std::vector<Event> out;
  if (op != taken_ || events_.empty() || !closed(op)) return out;
  out = std::move(events_.front());
  events_.pop_front();
  ++taken_;
  // A process that ended before `op` can cause no event of a later one.
  std::erase_if(ended_, [&](const std::pair<int, std::size_t>& e) {
    if (e.second >= op) return false;
    auto [lo, hi] = processes_.equal_range(e.first);
    for (auto it = lo; it != hi;)
      it = it->second.last_op == e.second ? processes_.erase(it) : std::next(it);
    return true;
  });
  return out;
}

bool Attributor::is_script_process(int pid, std::size_t op) const {
  auto [lo, hi] = processes_.equal_range(pid);
  for (auto it = lo; it != hi; ++it)
    if (op >= it->second.first_op && op <= it->second.last_op) return true;
  return false;
}

Error Attributor::error(std::string what) const {
  return Error{"trace line " + std::to_string(trace_line_) + ": " + what};
}

std::size_t Attributor::live(ObjectKind kind) const {
  return live_ids_[static_cast<int>(kind)].size();
}

Status Attributor::feed_text(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    if (Status s = feed(text.substr(pos, nl - pos)); !s.ok()) return s;
    pos = nl + 1;
  }
  return ok_status();
}

Status Attributor::feed(std::string_view line) {
  ++trace_line_;
  if (failed_) return error("attribution already failed");
  TraceRecord record = parse_trace_line(line);
  auto fail = [this](Error e) -> Status {
    failed_ = true;
    return e;
  };

  if (auto* lost = std::get_if<LostRecord>(&record))
    return fail(error("the trace lost " + std::to_string(lost->count) + " events on CPU " +
                      std::to_string(lost->cpu) + " (ring buffer too small)"));
  if (auto* bad = std::get_if<MalformedRecord>(&record))
    return fail(error("unreadable trace line (" + bad->reason + ")"));

  if (auto* marker = std::get_if<MarkerRecord>(&record)) {
    if (!marker->text.starts_with(kMarkerPrefix)) return ok_status();
    if (marker->cpu != cpu_)
      return fail(error(fmt::format("marker \"{}\" was written on CPU {}, not CPU {}", marker->text,
                                    marker->cpu, cpu_)));
    if (!inside_ && next_op_ < op_lines_.size() &&
        marker->text == begin_marker(op_lines_[next_op_])) {
      inside_ = true;
      ++next_op_;
      events_.emplace_back();
      return ok_status();
    }
    if (inside_ && marker->text == end_marker(op_lines_[next_op_ - 1])) {
      inside_ = false;
      return ok_status();
    }
    return fail(error("unexpected marker \"" + marker->text + "\""));
  }

  auto* kmem = std::get_if<KmemRecord>(&record);
  if (!kmem) return ok_status();
  std::string_view function = kmem->function;
  if (function.empty()) function = function_at(avc_ranges_, kmem->call_site_addr);
  auto kind = classify(*kmem, function);
  if (!kind) return ok_status();
  // A free whose trace shows no cache name (6.1 prints name= empty with
  // hash-ptr off) is of the kind its object was allocated as.
  if (!kmem->alloc && kmem->cache.empty() &&
      live_ids_[static_cast<int>(ObjectKind::anon_vma)].contains(kmem->ptr))
    kind = ObjectKind::anon_vma;

  // Events of script processes belong to the operation open now. Between
  // operations a script process must be idle: an event there is an error.
  if (!inside_) {
    bool script = is_script_process(kmem->pid, next_op_) ||
                  (next_op_ > 0 && is_script_process(kmem->pid, next_op_ - 1));
    if (!script) return ok_status();
    return fail(error("a script process (pid " + std::to_string(kmem->pid) +
                      ") caused an event outside every operation"));
  }
  const std::size_t op = next_op_ - 1;
  if (!is_script_process(kmem->pid, op)) return ok_status();
  if (kmem->cpu != cpu_)
    return fail(error(fmt::format("pid {} ran on CPU {}, not on CPU {} with the runner", kmem->pid,
                                  kmem->cpu, cpu_)));

  Event e;
  e.type = kmem->alloc ? EventType::alloc : EventType::free;
  e.kind = *kind;
  e.call_site =
      function.empty() ? fmt::format("{:#x}", kmem->call_site_addr) : std::string(function);
  e.ptr = kmem->ptr;
  e.pid = kmem->pid;
  auto& ids = live_ids_[static_cast<int>(*kind)];
  if (e.type == EventType::alloc) {
    e.id = next_id_[static_cast<int>(*kind)]++;
    auto [it, fresh] = ids.emplace(e.ptr, e.id);
    if (!fresh)
      return fail(
          error("line " + std::to_string(op_lines_[op]) + ": " +
                fmt::format("{} {:#x} allocated twice without a free", to_string(*kind), e.ptr)));
  } else {
    auto it = ids.find(e.ptr);
    if (it == ids.end())
      return fail(error("line " + std::to_string(op_lines_[op]) + ": " +
                        std::string(to_string(*kind)) +
                        " freed that the script never allocated (by " + e.call_site +
                        "); the script's processes must own no anon_vma of their own"));
    e.id = it->second;
    ids.erase(it);
  }
  events_.at(op - taken_).push_back(std::move(e));
  return ok_status();
}

Result<std::vector<std::vector<Event>>> Attributor::finish() {
  if (failed_) return error("attribution failed");
  if (inside_ || next_op_ != op_lines_.size()) {
    std::size_t op = inside_ ? next_op_ - 1 : next_op_;
    return Error{"the trace ends before operation at line " + std::to_string(op_lines_[op]) + " " +
                 (inside_ ? "ended" : "began")};
  }
  return std::vector<std::vector<Event>>(std::make_move_iterator(events_.begin()),
                                         std::make_move_iterator(events_.end()));
}

}  // namespace rmaplab::kernel
