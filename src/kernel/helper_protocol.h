// The wire protocol between the kernel runner and its helper processes.
//
// Shared by the runner (C++20, hosted) and the helper (freestanding, no libc),
// so it uses nothing but <stdint.h>. Both ends are built from this tree by the
// same compiler, so the structs are sent as raw bytes.
//
// Channels. Each live process has one channel: a SOCK_SEQPACKET socket pair
// (one message per command or reply) whose other end only the runner holds,
// so when the runner dies every helper reads end-of-file and exits. A
// spawned helper finds its channel at fd CHANNEL_FD; the fork command carries
// the child's channel as an SCM_RIGHTS descriptor, which the child moves to
// the same number and the parent closes. Descriptors therefore follow the
// live processes: the runner holds two per live process (channel, pidfd), a
// helper one (and a duplicate at fd 1 for its fault handler).
//
// Startup. argv is: helper SLOT NSLOTS CHANNEL_FD. A helper is "ready" once it
// owns no private anonymous memory (its stack has moved to a MAP_SHARED
// region); it then sends Reply{kReady, its pid}. A forked child does the same
// on its own channel, and its parent answers the fork command with
// Reply{0, child pid}.
//
// Each command gets exactly one reply, except `exit`, which gets none: the
// runner waits for the process to be gone instead.
#pragma once

#include <stdint.h>

namespace rmaplab::kernel::wire {

enum class Verb : uint32_t {
  mmap = 1,  // addr, len, prot, flags
  munmap,    // addr, len
  mprotect,  // addr, len, prot
  mremap,    // addr, len, new_len, flags, new_addr
  madvise,   // addr, len, advice
  write,     // addr, len: store one byte into every page
  read,      // addr, len: load one byte from every page
  fork,      // child: the slot the new process serves; carries its channel
  exit,      // exit_group(0); no reply
};

struct Command {
  Verb verb;
  int32_t prot;    // PROT_* for mmap and mprotect
  int32_t flags;   // MAP_* for mmap, MREMAP_* for mremap
  int32_t advice;  // MADV_* for madvise
  int32_t child;   // fork: slot of the child
  int32_t pad;
  uint64_t addr, len;          // bytes
  uint64_t new_addr, new_len;  // mremap
};

// result: 0 or -errno, or one of the positive codes below. value: a pid
// (ready, fork), a signal number (fault), an address (bad setup) or 0.
struct Reply {
  int64_t result;
  int64_t value;
  uint64_t addr;  // fault: the faulting address
};

inline constexpr int64_t kReady = 1;     // value: the helper's pid
inline constexpr int64_t kBadSetup = 2;  // helper refuses to start; value: address
                                         // of a private writable mapping
// The helper took SIGSEGV or SIGBUS (value) at addr while touching pages: its
// handler sends this on its channel, then the process exits. (A script the
// model accepts can still meet SIGBUS: shared anonymous memory grown by
// mremap has no backing past its original size.)
inline constexpr int64_t kFault = 3;

// Per-slot stack in the shared region; slot S's stack ends at
// base + (S + 1) * kStackBytes. Small: the helper's frames are tiny.
inline constexpr uint64_t kStackBytes = 32768;

// The helper's process name (comm): "rmlh-" followed by the runner's pid.
inline constexpr char kCommPrefix[] = "rmlh-";

}  // namespace rmaplab::kernel::wire
