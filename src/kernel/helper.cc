// rmaplab's helper process: one per script process, run by the kernel runner.
//
// The helper exists so that every anon_vma and anon_vma_chain event its
// process causes comes from the script. It is freestanding (no libc, raw
// x86_64 system calls, no writable globals, so the ELF has no .data/.bss and
// no writable LOAD segment) and, before it reports ready, it moves its stack
// into MAP_SHARED anonymous memory (shmem, which never gets an anon_vma) and
// unmaps the stack VMA exec gave it (which got an anon_vma when exec wrote
// argv and envp there). What is left is file-backed text, [vdso]/[vvar] and
// the shared region: fork and exit of an idle helper allocate and free no
// anon_vma and no anon_vma_chain. The helper checks this itself and refuses to
// start if any private writable mapping is left.
//
// The shared region, mapped once by a spawned helper and inherited by every
// process it forks:
//
//   | Config (4 KiB) | stack of slot 0 | stack of slot 1 | ... |
//
// Each slot's process runs on its own stack there; slots are never reused, so
// a parent and its forked child never share a stack.
//
// Protocol: helper_protocol.h.
#include "kernel/helper_protocol.h"

#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "the rmaplab helper is written for x86_64"
#endif

namespace {

using namespace rmaplab::kernel::wire;

// ---- x86_64 Linux ABI (no libc headers) ----------------------------------
constexpr long SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_mmap = 9,
               SYS_mprotect = 10, SYS_munmap = 11, SYS_rt_sigaction = 13, SYS_rt_sigreturn = 15,
               SYS_mremap = 25, SYS_madvise = 28, SYS_dup2 = 33, SYS_getpid = 39, SYS_recvmsg = 47,
               SYS_clone = 56, SYS_getppid = 110, SYS_prctl = 157, SYS_exit_group = 231;
constexpr int SOL_SOCKET = 1, SCM_RIGHTS = 1;
constexpr long PROT_READ = 1, PROT_WRITE = 2;
constexpr long MAP_SHARED = 0x01, MAP_ANONYMOUS = 0x20;
constexpr long O_RDONLY = 0;
constexpr long EINTR = 4;
constexpr long SIGBUS = 7, SIGSEGV = 11, SIGCHLD = 17;
constexpr long SIG_IGN = 1;
constexpr unsigned long SA_SIGINFO = 4, SA_RESTORER = 0x04000000;
// Where a process's fault handler finds its own channel: each process
// dup2()s its channel here too (fd 1 is free: exec closed stdio).
constexpr int kFaultReplyFd = 1;
constexpr long PR_SET_NAME = 15;
constexpr long PR_SET_THP_DISABLE = 41;
constexpr uint64_t kPage = 4096;

inline long syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}
inline long syscall3(long n, long a = 0, long b = 0, long c = 0) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

[[noreturn]] void exit_group(int code) {
  for (;;) syscall3(SYS_exit_group, code);
}

struct Config {
  int32_t nslots;
  int32_t channel_fd;  // every process of the family has its channel here
  uint64_t stacks;     // address of slot 0's stack
};

uint64_t stack_top(const Config* c, int slot) {
  return c->stacks + (uint64_t(slot) + 1) * kStackBytes;
}

// The kernel's struct msghdr, struct iovec and one SCM_RIGHTS cmsghdr.
struct IoVec {
  void* base;
  size_t len;
};
struct MsgHdr {
  void* name;
  uint32_t namelen;
  IoVec* iov;
  size_t iovlen;
  void* control;
  size_t controllen;
  int flags;
};
struct FdControl {
  size_t len;  // header (16 bytes) + one int
  int level, type;
  int fd;
  int pad;
};

// One command from the channel (a SOCK_SEQPACKET socket: one message, one
// command), and the descriptor it carries if any (fork: the child's
// channel), else -1. False when the runner is gone.
bool receive(int fd, Command* cmd, int* passed) {
  IoVec iov = {cmd, sizeof *cmd};
  FdControl control = {};
  MsgHdr msg = {nullptr, 0, &iov, 1, &control, sizeof control, 0};
  long r;
  do r = syscall3(SYS_recvmsg, fd, long(&msg), 0);
  while (r == -EINTR);
  *passed = -1;
  if (msg.controllen >= 20 && control.level == SOL_SOCKET && control.type == SCM_RIGHTS)
    *passed = control.fd;
  return r == long(sizeof *cmd);
}
void write_full(int fd, const void* buf, size_t len) {
  auto* p = static_cast<const char*>(buf);
  while (len > 0) {
    long r = syscall3(SYS_write, fd, long(p), long(len));
    if (r == -EINTR) continue;
    if (r <= 0) exit_group(3);  // the runner is gone
    p += r;
    len -= size_t(r);
  }
}
void reply(const Config* c, int64_t result, int64_t value) {
  Reply r{result, value, 0};
  write_full(c->channel_fd, &r, sizeof r);
}

struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

// SIGSEGV/SIGBUS while touching pages: tell the runner what and where, die.
// The handler never returns, so the restorer is never used, but x86_64
// refuses to deliver a handled signal without one.
void on_fault(int sig, void* info, void*) {
  Reply r{kFault, sig, *reinterpret_cast<uint64_t*>(static_cast<char*>(info) + 16)};
  syscall3(SYS_write, kFaultReplyFd, long(&r), sizeof r);
  exit_group(128 + sig);
}
[[noreturn]] void restorer() {
  for (;;) syscall3(SYS_rt_sigreturn);
}

// ---- tiny text helpers for startup ---------------------------------------
bool parse_uint(const char* s, uint64_t* out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10 + uint64_t(*s - '0');
  }
  *out = v;
  return true;
}
int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}
const char* parse_hex(const char* s, uint64_t* out) {
  uint64_t v = 0;
  int d;
  while ((d = hex_digit(*s)) >= 0) {
    v = v * 16 + uint64_t(d);
    ++s;
  }
  *out = v;
  return s;
}

// One line of /proc/self/maps: "start-end perms offset dev inode   name".
struct MapsLine {
  uint64_t start = 0, end = 0;
  char perms[4] = {};
  bool is_stack = false;
};
bool parse_maps_line(const char* s, const char* e, MapsLine* out) {
  s = parse_hex(s, &out->start);
  if (s >= e || *s != '-') return false;
  s = parse_hex(s + 1, &out->end);
  if (e - s < 5 || *s != ' ') return false;
  for (int i = 0; i < 4; ++i) out->perms[i] = s[1 + i];
  static const char kStack[] = "[stack]";
  constexpr long kLen = sizeof kStack - 1;
  out->is_stack = false;
  if (e - s >= kLen) {
    out->is_stack = true;
    for (long i = 0; i < kLen; ++i)
      if (e[-kLen + i] != kStack[i]) out->is_stack = false;
  }
  return true;
}

// Calls fn(line) for each line of /proc/self/maps; false if it cannot be read.
template <class Fn>
bool for_each_mapping(Fn fn) {
  char buf[8192];
  long fd = syscall3(SYS_open, long("/proc/self/maps"), O_RDONLY);
  if (fd < 0) return false;
  size_t used = 0;
  for (;;) {
    long r = syscall3(SYS_read, fd, long(buf + used), long(sizeof buf - used));
    if (r == -EINTR) continue;
    if (r < 0) break;
    used += size_t(r);
    if (r == 0 || used == sizeof buf) break;
  }
  syscall3(SYS_close, fd);
  if (used == sizeof buf) return false;  // a helper's maps is a few lines
  const char* p = buf;
  const char* end = buf + used;
  while (p < end) {
    const char* nl = p;
    while (nl < end && *nl != '\n') ++nl;
    MapsLine line;
    if (!parse_maps_line(p, nl, &line)) return false;
    fn(line);
    p = nl + 1;
  }
  return true;
}

// ---- the command loop -----------------------------------------------------
int64_t touch_pages(const Command& c, bool write) {
  for (uint64_t off = 0; off < c.len; off += kPage) {
    auto* p = reinterpret_cast<volatile char*>(c.addr + off);
    if (write)
      *p = 1;
    else
      (void)*p;
  }
  return 0;
}

[[noreturn]] void serve(int slot, const Config* c);

// A forked child: its own channel (passed with the fork command) takes the
// place of the parent's, then it serves.
[[noreturn]] void start_child(int slot, const Config* c, int channel) {
  syscall3(SYS_dup2, channel, c->channel_fd);
  syscall3(SYS_close, channel);
  serve(slot, c);
}

// fork(2) as clone(SIGCHLD) with the child starting on its own slot's stack.
// The child never returns from here: it jumps straight to
// start_child(child, c, channel), touching no memory of the parent's stack
// on the way.
long fork_to_slot(const Config* c, int child, int channel) {
  register long r10 asm("r10") = 0;  // tls: unused without CLONE_SETTLS
  register long r8 asm("r8") = 0;    // child_tid: unused without CLONE_*TID
  register long r12 asm("r12") = child;
  register long r13 asm("r13") = long(c);
  register long r14 asm("r14") = channel;
  long ret;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "mov %%r12, %%rdi\n\t"
      "mov %%r13, %%rsi\n\t"
      "mov %%r14, %%rdx\n\t"
      "call %P[start]\n\t"
      "ud2\n"
      "1:"
      : "=a"(ret)
      : "a"(SYS_clone), "D"(SIGCHLD), "S"(stack_top(c, child)), "d"(0), "r"(r10), "r"(r8), "r"(r12),
        "r"(r13), "r"(r14), [start] "i"(start_child)
      : "rcx", "r11", "memory");
  return ret;
}

int64_t execute(const Command& cmd, int passed, const Config* c, int64_t* value) {
  switch (cmd.verb) {
    case Verb::mmap: {
      long r = syscall6(SYS_mmap, long(cmd.addr), long(cmd.len), cmd.prot, cmd.flags, -1, 0);
      return r < 0 && r > -4096 ? r : 0;
    }
    case Verb::munmap:
      return syscall3(SYS_munmap, long(cmd.addr), long(cmd.len));
    case Verb::mprotect:
      return syscall3(SYS_mprotect, long(cmd.addr), long(cmd.len), cmd.prot);
    case Verb::mremap: {
      long r = syscall6(SYS_mremap, long(cmd.addr), long(cmd.len), long(cmd.new_len), cmd.flags,
                        long(cmd.new_addr), 0);
      return r < 0 && r > -4096 ? r : 0;
    }
    case Verb::madvise:
      return syscall3(SYS_madvise, long(cmd.addr), long(cmd.len), cmd.advice);
    case Verb::write:
      return touch_pages(cmd, true);
    case Verb::read:
      return touch_pages(cmd, false);
    case Verb::fork: {
      if (cmd.child < 0 || cmd.child >= c->nslots || passed < 0) return -22;  // EINVAL
      long pid = fork_to_slot(c, cmd.child, passed);
      if (pid < 0) return pid;
      *value = pid;
      return 0;
    }
    case Verb::exit:
      exit_group(0);
  }
  return -22;  // EINVAL: unknown verb
}

[[noreturn]] void serve(int slot, const Config* c) {
  (void)slot;  // its stack is where it runs; its channel is c->channel_fd
  syscall3(SYS_dup2, c->channel_fd, kFaultReplyFd);
  reply(c, kReady, syscall3(SYS_getpid));
  for (;;) {
    Command cmd;
    int passed = -1;
    if (!receive(c->channel_fd, &cmd, &passed)) exit_group(0);
    int64_t value = 0;
    int64_t result = execute(cmd, passed, c, &value);
    // The parent keeps no descriptor of its child's: the child has its own.
    if (passed >= 0) syscall3(SYS_close, passed);
    reply(c, result, value);
  }
}

// Runs on the shared stack: drop the exec stack, check, name, serve.
[[noreturn]] void start_on_shared_stack(int slot, const Config* c) {
  uint64_t bad = 0;
  bool ok = for_each_mapping([](const MapsLine& m) {
    if (m.is_stack) syscall3(SYS_munmap, long(m.start), long(m.end - m.start));
  });
  ok = ok && for_each_mapping([&bad](const MapsLine& m) {
         if (m.perms[1] == 'w' && m.perms[3] == 'p' && !bad) bad = m.start ? m.start : 1;
       });
  if (!ok || bad) {
    reply(c, kBadSetup, int64_t(bad));
    exit_group(4);
  }

  // comm = "rmlh-<runner pid>", so a runner's helpers can be found by name.
  char name[16] = {};
  size_t n = 0;
  for (; kCommPrefix[n]; ++n) name[n] = kCommPrefix[n];
  char digits[12];
  int nd = 0;
  for (long v = syscall3(SYS_getppid); v > 0 && nd < 12; v /= 10) digits[nd++] = char('0' + v % 10);
  while (nd > 0 && n < 15) name[n++] = digits[--nd];
  syscall3(SYS_prctl, PR_SET_NAME, long(name));
  // The model has only small folios; keep the kernel to them too, whatever
  // the machine's THP setting (inherited by forked helpers).
  syscall6(SYS_prctl, PR_SET_THP_DISABLE, 1, 0, 0, 0, 0);

  // Children of a helper are reaped by the kernel (the runner watches them
  // through pidfds and reaps those that were reparented to it).
  KernelSigaction ignore = {reinterpret_cast<void*>(SIG_IGN), 0, nullptr, 0};
  syscall6(SYS_rt_sigaction, SIGCHLD, long(&ignore), 0, 8, 0, 0);
  KernelSigaction fault = {reinterpret_cast<void*>(on_fault), SA_SIGINFO | SA_RESTORER,
                           reinterpret_cast<void*>(restorer), 0};
  syscall6(SYS_rt_sigaction, SIGSEGV, long(&fault), 0, 8, 0, 0);
  syscall6(SYS_rt_sigaction, SIGBUS, long(&fault), 0, 8, 0, 0);

  serve(slot, c);
}

}  // namespace

extern "C" {

// The compiler may emit calls to these even in freestanding code.
void* memset(void* d, int ch, size_t n) {
  auto* p = static_cast<volatile unsigned char*>(d);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(ch);
  return d;
}
void* memcpy(void* d, const void* s, size_t n) {
  auto* p = static_cast<volatile unsigned char*>(d);
  auto* q = static_cast<const unsigned char*>(s);
  for (size_t i = 0; i < n; ++i) p[i] = q[i];
  return d;
}

// Entered from _start with the initial stack pointer (argc, argv..., envp...).
[[noreturn]] void helper_main(const long* sp) {
  const long argc = sp[0];
  const char* const* argv = reinterpret_cast<const char* const*>(sp + 1);
  uint64_t slot, nslots, channel_fd;
  if (argc != 4 || !parse_uint(argv[1], &slot) || !parse_uint(argv[2], &nslots) ||
      !parse_uint(argv[3], &channel_fd) || slot >= nslots || nslots > 1000000)
    exit_group(2);

  const uint64_t len = kPage + nslots * kStackBytes;
  long region =
      syscall6(SYS_mmap, 0, long(len), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (region < 0 && region > -4096) exit_group(2);
  auto* c = reinterpret_cast<Config*>(region);
  c->nslots = int32_t(nslots);
  c->channel_fd = int32_t(channel_fd);
  c->stacks = uint64_t(region) + kPage;

  // Switch to this slot's shared stack and never come back.
  asm volatile(
      "mov %0, %%rsp\n\t"
      "call %P[start]\n\t"
      "ud2"
      :
      : "r"(stack_top(c, int(slot))), "D"(long(slot)), "S"(c), [start] "i"(start_on_shared_stack)
      : "memory");
  __builtin_unreachable();
}

}  // extern "C"

asm(R"(
  .text
  .globl _start
  .type _start, @function
_start:
  xor %ebp, %ebp
  mov %rsp, %rdi
  and $-16, %rsp
  call helper_main
  ud2
)");
