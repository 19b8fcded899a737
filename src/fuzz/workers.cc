// fuzz() with worker processes: worker w of J tests seeds seed + w,
// seed + w + J, ... and reports over a pipe. The parent adds up what they
// report, and on the first failure stops them all and reproduces and shrinks
// the failing script itself (so a finding is always confirmed in one
// process, from its seed alone).
//
//   parent ──fork──> worker 0 ──pipe──> stats (about once a second), end
//          ──fork──> worker 1 ──pipe──> ...
//
// Messages are fixed-size and smaller than PIPE_BUF, so each write arrives
// whole. Workers end with _exit: nothing of the parent's (stdio buffers,
// test framework state) runs twice.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "fuzz/loop.h"

namespace rmaplab::fuzz_internal {
namespace {

struct Message {
  enum Type : std::uint32_t { stats, passed, failed, error } type = stats;
  std::uint64_t seed = 0;  // failed: the failing seed
  FuzzStats totals;        // the worker's totals so far
  char text[1024] = {};    // error: the message, cut short if need be
};
static_assert(std::is_trivially_copyable_v<Message> && sizeof(Message) <= PIPE_BUF);

bool write_all(int fd, const Message& m) {
  const char* p = reinterpret_cast<const char*>(&m);
  std::size_t left = sizeof m;
  while (left) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void worker(const FuzzOptions& o, int w, int fd) {
  // Each worker on its own CPU where there are enough: the kernel runner pins
  // itself to the first CPU it is allowed.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 1) {
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<std::size_t>(w) % cpus.size()], &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  const auto jobs = static_cast<std::uint64_t>(o.jobs);
  std::uint64_t max = 0;
  if (o.max_scripts)
    max = o.max_scripts / jobs + (static_cast<std::uint64_t>(w) < o.max_scripts % jobs ? 1 : 0);
  Message m;
  const LoopEnd end = o.max_scripts && max == 0
                          ? LoopEnd{}
                          : run_loop(o, o.seed + static_cast<std::uint64_t>(w), jobs, max, m.totals,
                                     [&] { write_all(fd, m); });
  m.type = end.error ? Message::error : end.failing_seed ? Message::failed : Message::passed;
  m.seed = end.failing_seed.value_or(0);
  if (end.error) {
    const std::string& msg = end.error->message;
    std::memcpy(m.text, msg.data(), std::min(msg.size(), sizeof m.text - 1));
  }
  write_all(fd, m);
  ::close(fd);
  _exit(0);
}

}  // namespace

Result<FuzzResult> fuzz_parallel(const FuzzOptions& o) {
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    FuzzStats totals;
    bool ended = false;
  };
  std::vector<Worker> workers(static_cast<std::size_t>(o.jobs));
  std::fflush(nullptr);
  // A worker that cannot be started: stop and reap the ones that were.
  auto abandon = [&](int started, const char* what) {
    const int err = errno;
    for (int i = 0; i < started; ++i) {
      Worker& w = workers[static_cast<std::size_t>(i)];
      kill(w.pid, SIGTERM);
      ::close(w.fd);
      while (waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    return Error{fmt::format("{}: {}", what, std::strerror(err))};
  };
  for (int w = 0; w < o.jobs; ++w) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return abandon(w, "pipe");
    const pid_t pid = fork();
    if (pid < 0) {
      const int err = errno;
      ::close(p[0]);
      ::close(p[1]);
      errno = err;
      return abandon(w, "fork");
    }
    if (pid == 0) {
      ::close(p[0]);
      for (int i = 0; i < w; ++i) ::close(workers[static_cast<std::size_t>(i)].fd);
      worker(o, w, p[1]);
    }
    ::close(p[1]);
    workers[static_cast<std::size_t>(w)] = {pid, p[0], {}, false};
  }

  std::optional<std::uint64_t> failing;
  std::optional<Error> error;
  bool stopping = false;
  auto stop_all = [&] {
    if (stopping) return;
    stopping = true;
    for (Worker& w : workers)
      if (!w.ended) kill(w.pid, SIGTERM);
  };
  auto totals = [&] {
    FuzzStats sum;
    for (const Worker& w : workers) sum += w.totals;
    return sum;
  };
  std::size_t open = workers.size();
  while (open) {
    if (o.stop && *o.stop) stop_all();
    std::vector<pollfd> fds;
    std::vector<Worker*> of;
    for (Worker& w : workers)
      if (!w.ended) {
        fds.push_back({w.fd, POLLIN, 0});
        of.push_back(&w);
      }
    const int n = poll(fds.data(), fds.size(), 500);
    if (n < 0 && errno != EINTR) {
      // Without poll no end of file can be seen: stop the workers, and wait
      // for them below rather than leave them running.
      if (!error) error = Error{fmt::format("poll: {}", std::strerror(errno))};
      stop_all();
      for (Worker& w : workers)
        if (!w.ended) {
          w.ended = true;
          ::close(w.fd);
        }
      break;
    }
    bool fresh = false;
    for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Worker& w = *of[i];
      Message m;
      const ssize_t got = ::read(w.fd, &m, sizeof m);
      if (got == static_cast<ssize_t>(sizeof m)) {
        w.totals = m.totals;
        fresh = true;
        if (m.type == Message::failed && !failing) {
          failing = m.seed;
          stop_all();
        } else if (m.type == Message::error && !error && !stopping) {
          error = Error{m.text};
          stop_all();
        }
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      // End of file (or a torn read, which cannot happen below PIPE_BUF).
      w.ended = true;
      ::close(w.fd);
      --open;
    }
    if (fresh && o.progress) o.progress(totals());
  }
  for (Worker& w : workers) {
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }

  FuzzResult result;
  result.stats = totals();
  if (o.progress) o.progress(result.stats);
  if (failing) {
    auto found = reproduce(o, *failing);
    if (!found) return found.error();
    result.finding = std::move(found.value());
    return result;
  }
  if (error) return *error;
  return result;
}

}  // namespace rmaplab::fuzz_internal
