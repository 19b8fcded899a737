#include "kernel/root_lock_counter.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#if RMAPLAB_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/bpf/root_lock_tally.h"
#include "kernel/root_lock.skel.h"
#endif

namespace rmaplab::kernel {

#if !RMAPLAB_HAVE_BPF

Result<std::unique_ptr<RootLockCounter>> RootLockCounter::open() {
  return Error{"built without libbpf: root lock counts need the kernel's BTF"};
}
RootLockCounter::~RootLockCounter() = default;
Status RootLockCounter::start(int, const std::vector<std::uint64_t>&) {
  return Error{"root lock counts are unavailable"};
}
Result<RootLockCount> RootLockCounter::stop() { return Error{"root lock counts are unavailable"}; }
void RootLockCounter::unwatch() {}
bool root_lock_counts_available(std::string* why) {
  *why = "built without libbpf: root lock counts need the kernel's BTF";
  return false;
}

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

perf_event_attr breakpoint_on(std::uint64_t address) {
  perf_event_attr a{};
  a.type = PERF_TYPE_BREAKPOINT;
  a.size = sizeof a;
  a.bp_type = HW_BREAKPOINT_W;
  a.bp_addr = address;
  a.bp_len = HW_BREAKPOINT_LEN_8;
  a.exclude_user = 1;
  return a;
}

// Some kernels (or their hosts) refuse data breakpoints on kernel memory
// even to root: ask for one on this thread, on kernel text that nothing
// writes, and give it back.
Status probe_kernel_breakpoint() {
  perf_event_attr a = breakpoint_on(0xffffffff81000000);
  Fd fd(int(syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)));
  if (fd) return ok_status();
  return Error{
      fmt::format("this kernel refuses hardware breakpoints on kernel addresses "
                  "(perf_event_open: {})",
                  std::strerror(errno))};
}

}  // namespace

bool root_lock_counts_available(std::string* why) {
  static const Status probed = [] {
    auto c = RootLockCounter::open();
    return c.ok() ? ok_status() : Status(c.error());
  }();
  if (!probed.ok()) *why = probed.error().message;
  return probed.ok();
}

Result<std::unique_ptr<RootLockCounter>> RootLockCounter::open() {
#if !defined(__x86_64__)
  return Error{"root lock counts need x86-64 debug registers"};
#else
  if (Status s = probe_kernel_breakpoint(); !s.ok()) return s.error();
  // Looked up once per process: parsing the kernel's BTF takes 10 ms.
  static const Result<std::uint64_t> offset = []() -> Result<std::uint64_t> {
    btf* b = btf__load_vmlinux_btf();
    if (!b) return Error{"root lock counts need the kernel's BTF (/sys/kernel/btf/vmlinux)"};
    const long rwsem = member_offset(b, "anon_vma", "rwsem");
    const long count = member_offset(b, "rw_semaphore", "count");
    btf__free(b);
    if (rwsem < 0 || count < 0)
      return Error{"the kernel's BTF has no anon_vma.rwsem.count to watch"};
    return std::uint64_t(rwsem + count);
  }();
  if (!offset.ok()) return offset.error();
  std::unique_ptr<RootLockCounter> c(new RootLockCounter);
  c->count_offset_ = offset.value();
  if (!std::getenv("RMAPLAB_LIBBPF_DEBUG")) libbpf_set_print(nullptr);
  c->skel_ = root_lock__open_and_load();
  if (!c->skel_)
    return Error{
        fmt::format("the kernel refused the root lock classifier: {}", std::strerror(errno))};
  return c;
#endif
}

RootLockCounter::~RootLockCounter() {
  unwatch();
  if (skel_) root_lock__destroy(skel_);
}

void RootLockCounter::unwatch() {
  events_.clear();
  if (skel_)
    for (std::uint64_t a : addresses_) bpf_map__delete_elem(skel_->maps.tallies, &a, sizeof a, 0);
  addresses_.clear();
}

Status RootLockCounter::start(int pid, const std::vector<std::uint64_t>& roots) {
  unwatch();
  if (roots.size() > kMaxWatchedRoots)
    return Error{
        fmt::format("{} roots to watch; at most {} can be", roots.size(), kMaxWatchedRoots)};
  const int classifier = bpf_program__fd(skel_->progs.classify);
  for (std::uint64_t root : roots) {
    const std::uint64_t address = root + count_offset_;
    // The lock is free while the helpers wait between operations: the
    // first write seen starts from an unlocked count.
    const rmaplab_root_lock_tally zero{};
    if (bpf_map__update_elem(skel_->maps.tallies, &address, sizeof address, &zero, sizeof zero,
                             BPF_ANY) != 0) {
      const int err = errno;
      unwatch();
      return Error{
          fmt::format("cannot watch the root rwsem at {:#x}: {}", address, std::strerror(err))};
    }
    addresses_.push_back(address);
    perf_event_attr a = breakpoint_on(address);
    a.sample_period = 1;  // every hit runs the classifier
    a.inherit = 1;
    Fd fd(int(syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC)));
    if (!fd || ioctl(fd.get(), PERF_EVENT_IOC_SET_BPF, classifier) != 0) {
      const int err = errno;
      unwatch();
      return Error{fmt::format("cannot watch the root rwsem at {:#x} for process {}: {}", address,
                               pid, std::strerror(err))};
    }
    events_.push_back(std::move(fd));
  }
  return ok_status();
}

Result<RootLockCount> RootLockCounter::stop() {
  RootLockCount total;
  // Closing the events first: nothing adds to a tally while it is read.
  events_.clear();
  for (std::uint64_t a : addresses_) {
    rmaplab_root_lock_tally t{};
    if (bpf_map__lookup_elem(skel_->maps.tallies, &a, sizeof a, &t, sizeof t, 0) != 0) {
      const int err = errno;
      unwatch();
      return Error{
          fmt::format("cannot read the root rwsem tally at {:#x}: {}", a, std::strerror(err))};
    }
    total.writes += t.writes + t.unread;
    total.write_acquired += t.write_acquired;
    total.read_acquired += t.read_acquired;
  }
  unwatch();
  return total;
}

#endif

}  // namespace rmaplab::kernel
