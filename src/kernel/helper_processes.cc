#include "kernel/helper_processes.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kernel/helper_image.h"
#include "kernel/limits.h"
#include "rmaplab/script.h"

namespace rmaplab::kernel {
namespace {

constexpr int kGoneTimeoutMs = 10000;  // an exit or SIGKILL takes milliseconds

int pidfd_open(int pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return int(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

Error interrupted_error() { return Error{"interrupted by a signal"}; }

// " (arena page N)" for an address in the arena, else "".
std::string arena_page(std::uint64_t addr) {
  if (addr < kArenaBase || addr >= kArenaBase + kArenaPages * kPageSize) return "";
  return fmt::format(" (arena page {})", (addr - kArenaBase) / kPageSize);
}

Result<Fd> helper_memfd() {
  constexpr unsigned kMfdExec = 0x10;  // MFD_EXEC (Linux 6.3): executable memfd
  int fd = int(syscall(SYS_memfd_create, "rmaplab-helper", MFD_CLOEXEC | kMfdExec));
  if (fd < 0 && errno == EINVAL) fd = int(syscall(SYS_memfd_create, "rmaplab-helper", MFD_CLOEXEC));
  if (fd < 0)
    return Error{fmt::format("memfd_create for the helper failed: {}", std::strerror(errno))};
  Fd owned(fd);
  const unsigned char* p = kHelperImage;
  std::size_t left = kHelperImageSize;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Error{fmt::format("cannot write the helper into its memfd: {}", std::strerror(errno))};
    p += n;
    left -= std::size_t(n);
  }
  return owned;
}

// A new channel: the runner's end into *runner_end, the helper's returned.
Result<Fd> new_channel(Fd* runner_end) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Error{fmt::format("socketpair for a helper's channel: {}", std::strerror(errno))};
  *runner_end = Fd(sv[0]);
  return Fd(sv[1]);
}

}  // namespace

HelperProcesses::HelperProcesses(int nslots, const volatile sig_atomic_t* interrupted)
    : slots_(std::size_t(nslots)), runner_pid_(getpid()), interrupted_(interrupted) {}

Result<std::unique_ptr<HelperProcesses>> HelperProcesses::create(
    int nslots, std::span<const int> spawned, const volatile sig_atomic_t* interrupted) {
  if (kHelperImageSize == 0) return Error{"this build has no helper program (x86_64 only)"};
  std::unique_ptr<HelperProcesses> h(new HelperProcesses(nslots, interrupted));
  std::vector<Fd> helper_ends;
  int max_fd = 0;
  for (int slot : spawned) {
    auto end = new_channel(&h->slots_[std::size_t(slot)].channel);
    if (!end.ok()) return end.error();
    max_fd = std::max({max_fd, end->get(), h->slots_[std::size_t(slot)].channel.get()});
    helper_ends.push_back(std::move(*end));
  }
  auto memfd = helper_memfd();
  if (!memfd.ok()) return memfd.error();
  max_fd = std::max(max_fd, memfd->get());
  // In every helper the channel is dup2()ed to one number above every
  // descriptor the runner passes on.
  const int channel_fd = max_fd + 1;
  for (std::size_t i = 0; i < spawned.size(); ++i)
    if (Status s = h->launch(spawned[i], memfd->get(), helper_ends[i].get(), channel_fd); !s.ok())
      return s.error();
  helper_ends.clear();  // each helper has its own end now
  for (int slot : spawned) {
    auto ready = h->await_reply(slot, slot);
    if (!ready.ok()) return ready.error();
    if (ready->result == wire::kBadSetup)
      return Error{
          fmt::format("the helper process kept a private writable mapping at {:#x}; it would own "
                      "an anon_vma",
                      ready->value)};
    if (ready->result != wire::kReady || ready->value != h->pid(slot))
      return Error{"the helper process sent a malformed ready message"};
  }
  return h;
}

Status HelperProcesses::launch(int slot, int memfd, int helper_end, int channel_fd) {
  const int nslots = int(slots_.size());
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  const std::string a_slot = std::to_string(slot), a_n = std::to_string(nslots),
                    a_fd = std::to_string(channel_fd);
  const char* argv[] = {"rmaplab-helper", a_slot.c_str(), a_n.c_str(), a_fd.c_str(), nullptr};
  const char* envp[] = {nullptr};
  const int pgid = pgid_;
  const int runner = runner_pid_;

  const int pid = ::fork();
  if (pid < 0) return Error{fmt::format("fork of a helper failed: {}", std::strerror(errno))};
  if (pid == 0) {
    if (dup2(helper_end, channel_fd) < 0) _exit(126);
    // Pass on nothing else (memfd is close-on-exec but needed for exec).
    close_range(0, unsigned(channel_fd - 1), CLOSE_RANGE_CLOEXEC);
    close_range(unsigned(channel_fd + 1), ~0U, 0);
    // Limits that would make the kernel refuse what the model allows, for
    // this environment's reasons (probe() checked they can be lifted).
    lift_resource_limits();
    setpgid(0, pgid);
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT})
      sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != runner) _exit(126);
    syscall(SYS_execveat, memfd, "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
  }
  setpgid(pid, pgid ? pgid : pid);  // also in the child: no race either way
  if (!pgid_) pgid_ = pid;
  return adopt(slot, pid);
}

Status HelperProcesses::adopt(int slot, int pid) {
  Slot& s = slots_[std::size_t(slot)];
  s.pid = pid;
  s.exited = false;
  s.pidfd = Fd(pidfd_open(pid));
  if (!s.pidfd) return Error{fmt::format("pidfd_open({}) failed: {}", pid, std::strerror(errno))};
  return ok_status();
}

std::vector<int> HelperProcesses::live_pids() const {
  std::vector<int> pids;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (alive(int(i))) pids.push_back(slots_[i].pid);
  return pids;
}

std::string HelperProcesses::describe_death(int slot) {
  Slot& s = slots_[std::size_t(slot)];
  siginfo_t info = {};
  if (waitid(idtype_t(P_PIDFD), id_t(s.pidfd.get()), &info, WEXITED | WNOHANG) == 0 &&
      info.si_pid != 0) {
    s.exited = true;
    if (info.si_code == CLD_EXITED) return fmt::format("exited with status {}", info.si_status);
    const char* name = sigabbrev_np(info.si_status);
    return fmt::format("was killed by SIG{}", name ? name : std::to_string(info.si_status));
  }
  s.exited = true;
  return "died";
}

Result<wire::Reply> HelperProcesses::await_reply(int slot, int watch_slot) {
  Slot& s = slots_[std::size_t(slot)];
  Slot& w = slots_[std::size_t(watch_slot)];
  wire::Reply reply{};
  char* p = reinterpret_cast<char*>(&reply);
  std::size_t got = 0;
  while (got < sizeof reply) {
    if (*interrupted_) return interrupted_error();
    pollfd fds[2] = {{s.channel.get(), POLLIN, 0}, {w.pidfd.get(), POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{fmt::format("poll: {}", std::strerror(errno))};
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(s.channel.get(), p + got, sizeof reply - got);
      if (r > 0) {
        got += std::size_t(r);
      } else if (r == 0) {  // its end closed: it is dying; wait for its pidfd
        pollfd pf = {w.pidfd.get(), POLLIN, 0};
        while (poll(&pf, 1, kGoneTimeoutMs) < 0 && errno == EINTR && !*interrupted_) {
        }
        return Error{
            fmt::format("the helper process (pid {}) {}", w.pid, describe_death(watch_slot))};
      } else if (r < 0 && errno != EINTR && errno != EAGAIN)
        return Error{fmt::format("reading a helper's reply: {}", std::strerror(errno))};
      if (got == sizeof reply && reply.result == wire::kFault) {
        (void)wait_gone(slot, kGoneTimeoutMs);
        const char* name = sigabbrev_np(int(reply.value));
        return Error{fmt::format("the helper process (pid {}) took SIG{} at {:#x}{}", s.pid,
                                 name ? name : std::to_string(reply.value), reply.addr,
                                 arena_page(reply.addr))};
      }
      continue;
    }
    if (fds[1].revents & POLLIN)
      return Error{
          fmt::format("the helper process (pid {}) {}", w.pid, describe_death(watch_slot))};
  }
  return reply;
}

Status HelperProcesses::send(int slot, const wire::Command& cmd, int pass_fd) {
  Slot& s = slots_[std::size_t(slot)];
  iovec iov = {const_cast<wire::Command*>(&cmd), sizeof cmd};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
  }
  // MSG_NOSIGNAL: a dead helper is an error here or, through its pidfd,
  // while waiting for the reply, never a SIGPIPE.
  ssize_t n;
  do {
    n = sendmsg(s.channel.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != ssize_t(sizeof cmd))
    return Error{fmt::format("cannot send a command to the helper (pid {}): {}", s.pid,
                             n < 0 ? std::strerror(errno) : "short write")};
  return ok_status();
}

Result<std::int64_t> HelperProcesses::call(int slot, const wire::Command& cmd) {
  if (Status s = send(slot, cmd); !s.ok()) return s.error();
  auto reply = await_reply(slot, slot);
  if (!reply.ok()) return reply.error();
  return reply->result;
}

Result<std::int64_t> HelperProcesses::fork(int slot, int child_slot) {
  wire::Command cmd{};
  cmd.verb = wire::Verb::fork;
  cmd.child = child_slot;
  // The child's channel: made now, so descriptors exist only for processes
  // that exist; the helper end travels with the command and is closed here
  // once sent.
  Fd child_channel;
  {
    auto helper_end = new_channel(&child_channel);
    if (!helper_end.ok()) return helper_end.error();
    if (Status s = send(slot, cmd, helper_end->get()); !s.ok()) return s.error();
  }
  slots_[std::size_t(child_slot)].channel = std::move(child_channel);
  auto reply = await_reply(slot, slot);
  if (!reply.ok()) return reply.error();
  if (reply->result != 0) return reply->result;
  if (Status st = adopt(child_slot, int(reply->value)); !st.ok()) return st.error();
  auto ready = await_reply(child_slot, child_slot);
  if (!ready.ok()) return ready.error();
  if (ready->result != wire::kReady || ready->value != reply->value)
    return Error{"a forked helper sent a malformed ready message"};
  return 0;
}

Status HelperProcesses::wait_gone(int slot, int timeout_ms) {
  Slot& s = slots_[std::size_t(slot)];
  for (;;) {
    if (interrupted_ && *interrupted_ && timeout_ms < 0) return interrupted_error();
    pollfd fd = {s.pidfd.get(), POLLIN, 0};
    int n = poll(&fd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{fmt::format("the helper process (pid {}) did not end", s.pid)};
    break;
  }
  // Reap it if it is the runner's child (spawned, or reparented to the
  // runner, a subreaper); a helper's own children are reaped by the kernel.
  siginfo_t info = {};
  waitid(idtype_t(P_PIDFD), id_t(s.pidfd.get()), &info, WEXITED | WNOHANG);
  s.exited = true;
  // Its descriptors go with it.
  s.channel.reset();
  s.pidfd.reset();
  return ok_status();
}

Status HelperProcesses::exit(int slot) {
  wire::Command cmd{};
  cmd.verb = wire::Verb::exit;
  if (Status st = send(slot, cmd); !st.ok()) return st;
  // The pidfd becomes readable once the process is a zombie, i.e. after
  // exit_mm() tore the address space down.
  return wait_gone(slot, -1);
}

void HelperProcesses::kill_all() {
  // The group is surely ours while one of its members still runs (a group's
  // number is not reused while it has members); only then is it signalled,
  // to reach helpers the runner lost track of.
  bool group_alive = false;
  for (Slot& s : slots_) {
    if (s.pid <= 0 || s.exited) continue;
    pollfd fd = {s.pidfd.get(), POLLIN, 0};
    group_alive = group_alive || poll(&fd, 1, 0) == 0;
  }
  if (group_alive && pgid_ > 0) ::kill(-pgid_, SIGKILL);
  for (Slot& s : slots_)
    if (s.pid > 0 && !s.exited) pidfd_send_signal(s.pidfd.get(), SIGKILL);
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].pid > 0 && !slots_[i].exited) (void)wait_gone(int(i), kGoneTimeoutMs);
  // Reap the rest of the group that became the runner's children.
  if (pgid_ > 0) {
    siginfo_t info;
    for (;;) {
      info = {};
      if (waitid(P_PGID, id_t(pgid_), &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) break;
    }
  }
}

HelperProcesses::~HelperProcesses() { kill_all(); }

}  // namespace rmaplab::kernel
