// Counts the acquisitions of anon_vma root rwsems by one process (and the
// children it forks) with hardware data breakpoints: a write watchpoint on
// each watched root's rwsem.count (8 bytes), per task, inherited across
// fork. Every uncontended down_write, up_write, down_read and up_read
// writes the count once, so an acquisition (read or write) and its release
// are two writes. At most 4 roots at once (x86 has 4 debug registers).
// fentry/fexit would tell read from write, but this kernel refuses them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel/sys.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

inline constexpr std::size_t kMaxWatchedRoots = 4;

class RootLockCounter {
 public:
  // Finds rwsem.count's offset in struct anon_vma in the kernel's BTF.
  // Errors: not x86-64, no BTF.
  static Result<std::unique_ptr<RootLockCounter>> open();

  // Starts counting writes to the rwsem count of each root (at most
  // kMaxWatchedRoots) done by `pid` and the children it forks from now on.
  Status start(int pid, const std::vector<std::uint64_t>& roots);
  // The writes since start(), and stops.
  Result<std::uint64_t> stop();

 private:
  std::uint64_t count_offset_ = 0;
  std::vector<Fd> events_;
};

}  // namespace rmaplab::kernel
