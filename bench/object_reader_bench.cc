// rmaplab-object-reader-bench: what object depth costs per operation.
//
//   dump    one read_objects() of 4 processes (a parent and 3 forked
//           children sharing one faulted 8-page VMA: 4 VMAs, 4 anon_vmas,
//           a 4-member tree, 32 folios), the size of a corpus script's
//           touched processes
//   locks   one RootLockCounter start()+stop() on 1 root of 1 process
//
// Root only; prints microseconds per call (the median of 5 rounds).
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "kernel/root_lock_counter.h"
#include "rmaplab/kernel_objects.h"

using namespace rmaplab::kernel;

template <class F>
double median_us(int n, F&& f) {
  std::vector<double> rounds;
  for (int r = 0; r < 5; r++) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i++) f();
    auto t1 = std::chrono::steady_clock::now();
    rounds.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / n);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

int main() {
  ReadError why;
  if (!object_reader_available(&why)) {
    std::fprintf(stderr, "object reader unavailable: %s\n", why.message.c_str());
    return 3;
  }
  constexpr std::size_t kPage = 4096, kPages = 8;
  char* m = static_cast<char*>(
      mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  for (std::size_t i = 0; i < kPages; i++) m[i * kPage] = 1;
  int fds[2];
  if (pipe(fds) != 0) return 1;
  std::vector<pid_t> children;
  for (int c = 0; c < 3; c++) {
    pid_t p = fork();
    if (p == 0) {
      char x;
      close(fds[1]);
      (void)!read(fds[0], &x, 1);
      _exit(0);
    }
    children.push_back(p);
  }
  std::vector<ReadRequest> requests;
  for (pid_t p : std::vector<pid_t>{getpid(), children[0], children[1], children[2]}) {
    ReadRequest& r = requests.emplace_back();
    r.pid = p;
    r.start = reinterpret_cast<std::uint64_t>(m);
    r.end = r.start + kPages * kPage;
    for (std::size_t i = 0; i < kPages; i++) r.page_addresses.push_back(r.start + i * kPage);
  }
  ObjectDump d;
  ReadError e;
  if (!read_objects(requests, &d, &e)) {
    std::fprintf(stderr, "%s\n", e.message.c_str());
    return 1;
  }
  std::printf("dump of %zu processes: %zu VMAs, %zu anon_vmas, %zu folios\n", requests.size(),
              d.vmas.size(), d.anon_vmas.size(), d.pages.size());
  std::printf("dump   %8.1f us\n", median_us(500, [&] { (void)read_objects(requests, &d, &e); }));
  auto counter = RootLockCounter::open();
  if (counter.ok() && !d.anon_vmas.empty()) {
    const std::vector<std::uint64_t> roots = {d.anon_vmas[0].root};
    std::printf("locks  %8.1f us\n", median_us(500, [&] {
                  (void)(*counter)->start(children[0], roots);
                  (void)(*counter)->stop();
                }));
  }
  close(fds[1]);
  for (pid_t p : children) waitpid(p, nullptr, 0);
  return 0;
}
