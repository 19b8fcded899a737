// A small program for the recorder's live tests (recorder_test.cc): each mode
// does one known thing to its memory.
//   fork    maps and writes 4 pages, forks; the child writes one page and exits
//   thread  starts a thread that maps and writes a page, joins it
//   crash   writes to an unmapped address (SIGSEGV)
//   sleep   sleeps for an hour (for the timeout and signal tests)
//   spawn   forks a child that sleeps for an hour and exits at once itself
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::size_t page = 4096;
  if (!std::strcmp(argv[1], "fork")) {
    auto* p = static_cast<char*>(
        mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return 1;
    for (int i = 0; i < 4; ++i) p[i * page] = 1;
    pid_t c = fork();
    if (c == 0) {
      p[0] = 2;
      _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  }
  if (!std::strcmp(argv[1], "thread")) {
    std::thread t([] {
      auto* p = static_cast<char*>(
          mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      if (p != MAP_FAILED) p[0] = 1;
    });
    t.join();
    return 0;
  }
  if (!std::strcmp(argv[1], "crash")) {
    volatile std::uintptr_t address = 16;
    volatile char* bad = reinterpret_cast<volatile char*>(address);
    *bad = 1;
    return 0;
  }
  if (!std::strcmp(argv[1], "sleep")) {
    sleep(3600);
    return 0;
  }
  if (!std::strcmp(argv[1], "spawn")) {
    if (fork() == 0) {
      sleep(3600);
      _exit(0);
    }
    return 0;
  }
  return 2;
}
