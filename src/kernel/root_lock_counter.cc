#include "kernel/root_lock_counter.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#if RMAPLAB_HAVE_BPF
#include <bpf/btf.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rmaplab::kernel {

#if !RMAPLAB_HAVE_BPF

Result<std::unique_ptr<RootLockCounter>> RootLockCounter::open() {
  return Error{"built without libbpf: root lock counts need the kernel's BTF"};
}
Status RootLockCounter::start(int, const std::vector<std::uint64_t>&) {
  return Error{"root lock counts are unavailable"};
}
Result<std::uint64_t> RootLockCounter::stop() { return Error{"root lock counts are unavailable"}; }

#else

namespace {

// The byte offset of member `name` in struct `type`, or -1.
long member_offset(const btf* b, const char* type, const char* name) {
  const int id = btf__find_by_name_kind(b, type, BTF_KIND_STRUCT);
  if (id < 0) return -1;
  const btf_type* t = btf__type_by_id(b, id);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m)
    if (std::strcmp(btf__name_by_offset(b, m->name_off), name) == 0)
      return long(btf_member_bit_offset(t, i) / 8);
  return -1;
}

}  // namespace

Result<std::unique_ptr<RootLockCounter>> RootLockCounter::open() {
#if !defined(__x86_64__)
  return Error{"root lock counts need x86-64 debug registers"};
#else
  btf* b = btf__load_vmlinux_btf();
  if (!b) return Error{"root lock counts need the kernel's BTF (/sys/kernel/btf/vmlinux)"};
  const long rwsem = member_offset(b, "anon_vma", "rwsem");
  const long count = member_offset(b, "rw_semaphore", "count");
  btf__free(b);
  if (rwsem < 0 || count < 0) return Error{"the kernel's BTF has no anon_vma.rwsem.count to watch"};
  auto c = std::make_unique<RootLockCounter>();
  c->count_offset_ = std::uint64_t(rwsem + count);
  return c;
#endif
}

Status RootLockCounter::start(int pid, const std::vector<std::uint64_t>& roots) {
  events_.clear();
  if (roots.size() > kMaxWatchedRoots)
    return Error{
        fmt::format("{} roots to watch; at most {} can be", roots.size(), kMaxWatchedRoots)};
  for (std::uint64_t root : roots) {
    perf_event_attr a{};
    a.type = PERF_TYPE_BREAKPOINT;
    a.size = sizeof a;
    a.bp_type = HW_BREAKPOINT_W;
    a.bp_addr = root + count_offset_;
    a.bp_len = HW_BREAKPOINT_LEN_8;
    a.inherit = 1;
    a.exclude_user = 1;
    Fd fd(int(syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC)));
    if (!fd) {
      const int err = errno;
      events_.clear();
      return Error{fmt::format("cannot watch the root rwsem at {:#x} for process {}: {}",
                               root + count_offset_, pid, std::strerror(err))};
    }
    events_.push_back(std::move(fd));
  }
  return ok_status();
}

Result<std::uint64_t> RootLockCounter::stop() {
  std::uint64_t total = 0;
  for (const Fd& fd : events_) {
    // An inherited event's count includes its children's, live or exited.
    std::uint64_t n = 0;
    if (::read(fd.get(), &n, sizeof n) != ssize_t(sizeof n)) {
      const int err = errno;
      events_.clear();
      return Error{fmt::format("cannot read a root rwsem breakpoint: {}", std::strerror(err))};
    }
    total += n;
  }
  events_.clear();
  return total;
}

#endif

}  // namespace rmaplab::kernel
