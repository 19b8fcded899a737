// The script's processes: one freestanding helper (helper.cc) per process
// slot, started by the runner or forked by another helper, commanded over
// one socket each (helper_protocol.h): descriptors follow the live processes.
//
// Lifetime: the helpers of `spawn`ed slots are started by create(), before
// tracing begins, so the runner's own fork and exec are never observed. All
// helpers share one process group, separate from the runner's, so a terminal's
// ^C reaches only the runner, which then ends them. The destructor kills every
// helper still alive and reaps those that are the runner's children. If the
// runner dies without running it, spawned helpers get SIGKILL (parent-death
// signal) and forked ones read end-of-file on their channel (only the runner
// holds the other ends) and exit.
//
// Waiting: every wait also watches the helper's pidfd (a helper that dies is
// an error, not a hang) and gives up with an error when *interrupted becomes
// non-zero (set by the runner's SIGINT/SIGTERM handler).
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/helper_protocol.h"
#include "kernel/sys.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

class HelperProcesses {
 public:
  // Starts helpers for the slots in `spawned` (each is told it serves that
  // slot of nslots) and waits until each is ready.
  static Result<std::unique_ptr<HelperProcesses>> create(int nslots, std::span<const int> spawned,
                                                         const volatile sig_atomic_t* interrupted);
  ~HelperProcesses();
  HelperProcesses(const HelperProcesses&) = delete;
  HelperProcesses& operator=(const HelperProcesses&) = delete;

  bool alive(int slot) const {
    const Slot& s = slots_[std::size_t(slot)];
    return s.pid > 0 && !s.exited;
  }
  int pid(int slot) const { return slots_[std::size_t(slot)].pid; }
  std::vector<int> live_pids() const;

  // Sends a command (not fork or exit) and returns the reply's result:
  // 0 or -errno.
  Result<std::int64_t> call(int slot, const wire::Command& cmd);
  // Forks slot's process; the child serves child_slot. Returns 0 or -errno.
  Result<std::int64_t> fork(int slot, int child_slot);
  // Ends slot's process and returns once its exit (address-space teardown
  // included) is complete.
  Status exit(int slot);

  // Kills every helper still alive and waits until all are gone.
  void kill_all();

 private:
  struct Slot {
    Fd channel;  // the runner's end, while the process lives
    Fd pidfd;
    int pid = 0;
    bool exited = false;
  };
  HelperProcesses(int nslots, const volatile sig_atomic_t* interrupted);
  Status launch(int slot, int memfd, int helper_end, int channel_fd);
  Status send(int slot, const wire::Command& cmd, int pass_fd = -1);
  Status adopt(int slot, int pid);  // opens the pidfd
  Result<wire::Reply> await_reply(int slot, int watch_pid_slot);
  Status wait_gone(int slot, int timeout_ms);
  std::string describe_death(int slot);

  std::vector<Slot> slots_;
  int pgid_ = 0;
  int runner_pid_ = 0;
  const volatile sig_atomic_t* interrupted_;
};

}  // namespace rmaplab::kernel
