// Counts the acquisitions of anon_vma root rwsems by one process (and the
// children it forks) with hardware data breakpoints: a write watchpoint on
// each watched root's rwsem.count (8 bytes), per task, inherited across
// fork. Every uncontended down_write, up_write, down_read and up_read
// writes the count once. A BPF program on each breakpoint
// (bpf/root_lock.bpf.c) reads the count after the write and tells a write
// acquisition from a read one; fentry would see the lock calls themselves,
// but this kernel refuses it. At most 4 roots at once (x86 has 4 debug
// registers).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel/sys.h"
#include "rmaplab/kernel.h"
#include "rmaplab/status.h"

struct root_lock;  // the BPF skeleton (generated root_lock.skel.h)

namespace rmaplab::kernel {

inline constexpr std::size_t kMaxWatchedRoots = 4;

class RootLockCounter {
 public:
  // Finds rwsem.count's offset in struct anon_vma in the kernel's BTF and
  // loads the classifier. Errors: not x86-64, no BTF, the program refused.
  static Result<std::unique_ptr<RootLockCounter>> open();
  ~RootLockCounter();

  // Starts counting writes to the rwsem count of each root (at most
  // kMaxWatchedRoots) done by `pid` and the children it forks from now on.
  Status start(int pid, const std::vector<std::uint64_t>& roots);
  // What was counted since start(), and stops.
  Result<RootLockCount> stop();

 private:
  RootLockCounter() = default;
  void unwatch();

  std::uint64_t count_offset_ = 0;
  ::root_lock* skel_ = nullptr;
  std::vector<Fd> events_;
  std::vector<std::uint64_t> addresses_;  // of the watched counts, as in the classifier's map
};

}  // namespace rmaplab::kernel
