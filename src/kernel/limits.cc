#include "kernel/limits.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace rmaplab::kernel {
namespace {

struct Limit {
  int resource;
  const char* name;
  const char* effect;
};
constexpr std::array<Limit, 3> kLifted = {{
    {RLIMIT_AS, "RLIMIT_AS (ulimit -v)", "mappings the model allows would fail with ENOMEM"},
    {RLIMIT_DATA, "RLIMIT_DATA (ulimit -d)", "mappings the model allows would fail with ENOMEM"},
    {RLIMIT_NPROC, "RLIMIT_NPROC (ulimit -u)", "forks the model allows could fail with EAGAIN"},
}};

std::string value(rlim_t v) {
  return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

// The kernel does not hold root of the initial user namespace to
// RLIMIT_NPROC (copy_process).
bool nproc_exempt() {
  if (getuid() != 0) return false;
  std::FILE* f = std::fopen("/proc/self/uid_map", "r");
  if (!f) return false;
  unsigned long inside = 1, outside = 1, count = 0;
  const bool identity = std::fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
                        inside == 0 && outside == 0 && count == 4294967295UL;
  std::fclose(f);
  return identity;
}

}  // namespace

Status check_liftable_limits() {
  for (const Limit& l : kLifted) {
    rlimit old;
    if (getrlimit(l.resource, &old) != 0) continue;
    // A soft limit can always be raised to the hard one; only a finite hard
    // limit needs CAP_SYS_RESOURCE to lift.
    if (old.rlim_max == RLIM_INFINITY) continue;
    if (l.resource == RLIMIT_NPROC && nproc_exempt()) continue;
    const rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(l.resource, &unlimited) == 0) {
      setrlimit(l.resource, &old);  // lowering is always allowed
      continue;
    }
    return Error{fmt::format(
        "{} is {} (hard limit {}) and cannot be lifted without CAP_SYS_RESOURCE: {}, for this "
        "environment's reasons",
        l.name, value(old.rlim_cur), value(old.rlim_max), l.effect)};
  }
  return ok_status();
}

void lift_resource_limits() {
  const rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  for (const Limit& l : kLifted) {
    rlimit now;
    if (setrlimit(l.resource, &unlimited) == 0 || getrlimit(l.resource, &now) != 0) continue;
    now.rlim_cur = now.rlim_max;  // as far as an unprivileged process may
    setrlimit(l.resource, &now);
  }
}

std::size_t max_live_processes(const Script& script) {
  std::size_t live = 0;
  for (const Op& op : script.ops) live += op.verb == Verb::spawn;
  std::size_t most = live;
  for (const Op& op : script.ops) {
    if (op.verb == Verb::fork) most = std::max(most, ++live);
    if (op.verb == Verb::exit && live > 0) --live;
  }
  return most;
}

std::size_t descriptors_needed(std::size_t live) {
  // Per live process a channel and a pidfd; while the spawned helpers start,
  // also the helpers' ends of their channels. 64 for the instance's files and
  // /proc reads.
  return open_descriptors() + 3 * live + 64;
}

}  // namespace rmaplab::kernel
