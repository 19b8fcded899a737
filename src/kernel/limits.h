// Resource limits that would make the kernel differ from the model for the
// environment's reasons, not anon_vma's.
//
//   RLIMIT_AS, RLIMIT_DATA  an mmap, mremap or mprotect the model allows fails
//                           with ENOMEM (`ulimit -v` is RLIMIT_AS)
//   RLIMIT_NPROC            a fork fails with EAGAIN (root is exempt in the
//                           initial user namespace, not in others)
//   RLIMIT_NOFILE           the runner's descriptors: two per live process
//                           (its channel and pidfd, helper_processes.h)
//
// RLIMIT_MEMLOCK does not apply: the language has no mlock and no MAP_LOCKED.
// The first three are lifted for the helpers only, just before they exec;
// RLIMIT_NOFILE is raised for the runner while it runs (runner.cc). Root may
// raise a hard limit only with CAP_SYS_RESOURCE; without it a finite limit
// that stands in the way is refused up front by probe() or run().
#pragma once

#include <cstddef>

#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab::kernel {

// Whether every finite limit among RLIMIT_AS, RLIMIT_DATA and RLIMIT_NPROC
// could be lifted (tried and put back); the error names the first that
// cannot, with its value.
Status check_liftable_limits();

// Sets RLIMIT_AS, RLIMIT_DATA and RLIMIT_NPROC to unlimited for the calling
// process. Async-signal-safe: called between fork and exec.
void lift_resource_limits();

// The most processes the script has alive at once: every spawned one (their
// helpers start before the first operation) and forked ones while they live.
std::size_t max_live_processes(const Script& script);

// Descriptors the runner needs for `live` processes at once, on top of those
// open now.
std::size_t descriptors_needed(std::size_t live);

}  // namespace rmaplab::kernel
