#include "kernel/tracefs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "kernel/sys.h"

namespace rmaplab::kernel {
namespace {

constexpr long kTracefsMagic = 0x74726163;  // TRACEFS_MAGIC
constexpr std::string_view kEvents[] = {"kmem_cache_alloc", "kmem_cache_free"};

std::string root_path(std::string_view rel) {
  return std::string(kTracefsRoot) + "/" + std::string(rel);
}

bool is_tracefs(const std::string& path) {
  struct statfs st;
  return statfs(path.c_str(), &st) == 0 && st.f_type == kTracefsMagic;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Status ensure_tracefs() {
  const std::string root(kTracefsRoot);
  if (is_tracefs(root)) return ok_status();
  if (mount("nodev", root.c_str(), "tracefs", 0, nullptr) != 0)
    return Error{fmt::format("tracefs is not mounted at {} and mounting it failed: {}", root,
                             std::strerror(errno))};
  if (!is_tracefs(root)) return Error{fmt::format("{} is not a tracefs mount", root)};
  return ok_status();
}

Status check_kmem_events() {
  for (std::string_view ev : kEvents) {
    auto format = read_text_file(root_path(fmt::format("events/kmem/{}/format", ev)));
    if (!format.ok())
      return Error{
          fmt::format("the kernel has no trace event kmem:{} ({})", ev, format.error().message)};
    for (std::string_view f : {"call_site;", "ptr;", "name;"}) {
      if (format->find(f) != std::string::npos) continue;
      // Allocations on older kernels (6.1, 6.12) have no name: their size
      // tells (classify).
      if (f == "name;" && ev == "kmem_cache_alloc" &&
          format->find("bytes_alloc;") != std::string::npos)
        continue;
      return Error{
          fmt::format("the trace event kmem:{} has no field {}", ev, f.substr(0, f.size() - 1))};
    }
  }
  struct stat st;
  if (stat(root_path("instances").c_str(), &st) != 0)
    return Error{fmt::format("tracefs has no instances directory ({})", std::strerror(errno))};
  return ok_status();
}

void remove_stale_instances() {
  const std::string dir = root_path("instances");
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with(kInstancePrefix)) continue;
    std::string_view num = name.substr(kInstancePrefix.size());
    if (name.starts_with(kRecordInstancePrefix)) num = name.substr(kRecordInstancePrefix.size());
    int pid = 0;
    if (!all_digits(num) ||
        std::from_chars(num.data(), num.data() + num.size(), pid).ec != std::errc())
      continue;
    if (pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH))
      rmdir((dir + "/" + std::string(name)).c_str());
  }
  closedir(d);
}

std::string event_filter(std::span<const FunctionRange> avc_ranges, bool name) {
  std::string f = name ? "name == \"anon_vma\"" : "";
  for (const FunctionRange& r : avc_ranges)
    f += fmt::format("{}(call_site >= {:#x} && call_site < {:#x})", f.empty() ? "" : " || ",
                     r.start, r.end);
  return f;
}

bool alloc_event_has_name() {
  auto format = read_text_file(root_path("events/kmem/kmem_cache_alloc/format"));
  return !format.ok() || format->find("name;") != std::string::npos;
}

Result<std::unique_ptr<TraceInstance>> TraceInstance::create(
    std::span<const FunctionRange> avc_ranges, int cpu, std::size_t buffer_kb) {
  const std::string dir = root_path(fmt::format("instances/{}{}", kInstancePrefix, getpid()));
  if (mkdir(dir.c_str(), 0755) != 0) {
    // Ours from an earlier run of this process that could not clean up.
    if (errno != EEXIST || rmdir(dir.c_str()) != 0 || mkdir(dir.c_str(), 0755) != 0)
      return Error{
          fmt::format("cannot create the tracefs instance {}: {}", dir, std::strerror(errno))};
  }
  std::unique_ptr<TraceInstance> t(new TraceInstance(dir));
  const std::string filter = event_filter(avc_ranges);
  struct Setting {
    std::string file, value;
  };
  const Setting settings[] = {
      {"tracing_on", "0"},
      {"buffer_size_kb", "4"},  // every CPU minimal; ours below
      {fmt::format("per_cpu/cpu{}/buffer_size_kb", cpu), std::to_string(buffer_kb)},
      {"options/overwrite", "0"},  // a full buffer drops (and counts) new events
      {"options/hash-ptr", "0"},   // real object addresses
      {"options/event-fork", "1"},
      {"events/kmem/kmem_cache_alloc/filter", event_filter(avc_ranges, alloc_event_has_name())},
      {"events/kmem/kmem_cache_free/filter", filter},
      {"tracing_on", "1"},
  };
  for (const Setting& s : settings)
    if (Status st = t->write_file(s.file, s.value); !st.ok()) return st.error();
  t->marker_fd_ = open((dir + "/trace_marker").c_str(), O_WRONLY | O_CLOEXEC);
  t->pipe_fd_ = open((dir + "/trace_pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (t->marker_fd_ < 0 || t->pipe_fd_ < 0)
    return Error{
        fmt::format("cannot open {}/trace_marker and trace_pipe: {}", dir, std::strerror(errno))};
  return t;
}

Result<std::unique_ptr<TraceInstance>> TraceInstance::create_named(const std::string& name) {
  const std::string dir = root_path("instances/" + name);
  if (mkdir(dir.c_str(), 0755) != 0) {
    if (errno != EEXIST || rmdir(dir.c_str()) != 0 || mkdir(dir.c_str(), 0755) != 0)
      return Error{
          fmt::format("cannot create the tracefs instance {}: {}", dir, std::strerror(errno))};
  }
  std::unique_ptr<TraceInstance> t(new TraceInstance(dir));
  if (Status s = t->write_file("tracing_on", "0"); !s.ok()) return s.error();
  return t;
}

TraceInstance::~TraceInstance() {
  if (marker_fd_ >= 0) close(marker_fd_);
  if (pipe_fd_ >= 0) close(pipe_fd_);
  for (std::string_view ev : kEvents)
    (void)write_file(fmt::format("events/kmem/{}/enable", ev), "0");
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (rmdir(dir_.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    usleep(2000);
  }
}

Status TraceInstance::write_file(std::string_view rel, std::string_view value) const {
  return write_text_file(dir_ + "/" + std::string(rel), value);
}

Status TraceInstance::trace_pids(std::span<const int> pids) {
  std::string list;
  for (int pid : pids) list += std::to_string(pid) + " ";
  return write_file("set_event_pid", list);
}

Status TraceInstance::enable() {
  for (std::string_view ev : kEvents)
    if (Status s = write_file(fmt::format("events/kmem/{}/enable", ev), "1"); !s.ok()) return s;
  return ok_status();
}

Status TraceInstance::disable() { return write_file("tracing_on", "0"); }

Status TraceInstance::mark(std::string_view text) {
  std::string line = std::string(text) + "\n";
  for (;;) {
    ssize_t n = write(marker_fd_, line.data(), line.size());
    if (n == ssize_t(line.size())) return ok_status();
    if (n < 0 && errno == EINTR) continue;
    // A full ring buffer (no overwrite) refuses markers with EBADF.
    if (n < 0 && errno == EBADF)
      if (Status loss = check_no_loss(); !loss.ok()) return loss;
    return Error{fmt::format("cannot write {}/trace_marker: {}", dir_,
                             n < 0 ? std::strerror(errno) : "short write")};
  }
}

Status TraceInstance::drain(std::string* out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(pipe_fd_, buf, sizeof buf);
    if (n > 0) {
      partial_.append(buf, std::size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno == EAGAIN) break;
    return Error{fmt::format("cannot read {}/trace_pipe: {}", dir_, std::strerror(errno))};
  }
  std::size_t last_nl = partial_.rfind('\n');
  if (last_nl != std::string::npos) {
    out->append(partial_, 0, last_nl + 1);
    partial_.erase(0, last_nl + 1);
  }
  return ok_status();
}

Status TraceInstance::check_no_loss(std::string_view hint) const {
  for (int cpu = 0;; ++cpu) {
    auto stats = read_text_file(fmt::format("{}/per_cpu/cpu{}/stats", dir_, cpu));
    if (!stats.ok()) break;  // past the last CPU
    for (std::string_view key : {"overrun: ", "commit overrun: ", "dropped events: "}) {
      std::size_t pos = stats->find(std::string("\n") + std::string(key));
      if (stats->starts_with(key))
        pos = 0;
      else if (pos != std::string::npos)
        ++pos;
      else
        continue;
      unsigned long n = std::strtoul(stats->c_str() + pos + key.size(), nullptr, 10);
      if (n != 0)
        return Error{
            fmt::format("the trace buffer of CPU {} lost events ({}{}); the counts would be wrong "
                        "({})",
                        cpu, key, n, hint)};
    }
  }
  return ok_status();
}

}  // namespace rmaplab::kernel
