// rmaplab inspect end to end: the JSON schema on a process that forked a
// child (issue 9), and each reason it cannot read a process as one line with
// its own exit code. Skipped with the reason where the BPF reader cannot run.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"

namespace rmaplab::test {
namespace {

constexpr std::size_t kPage = 4096;

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto probe = run_cli({"inspect", std::to_string(getpid()), "--range", "0-1000"});
    if (probe.exit_code == 3 || probe.exit_code == 8) GTEST_SKIP() << probe.err;
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
  }
};

TEST_F(InspectCli, JsonOfAProcessThatForked) {
  // Four faulted pages between PROT_NONE guards, then a child that waits.
  char* m =
      static_cast<char*>(mmap(nullptr, 6 * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  char* arena = m + kPage;
  ASSERT_EQ(mprotect(arena, 4 * kPage, PROT_READ | PROT_WRITE), 0);
  for (int i = 0; i < 4; i++) arena[i * kPage] = 1;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  if (child == 0) {
    char c;
    close(fds[1]);
    (void)!read(fds[0], &c, 1);
    _exit(0);
  }
  close(fds[0]);
  const auto start = reinterpret_cast<std::uintptr_t>(arena);
  const auto r = run_cli({"inspect", std::to_string(child), "--json", "--pages", "--range",
                          fmt::format("{:x}-{:x}", start, start + 4 * kPage)});
  close(fds[1]);
  waitpid(child, nullptr, 0);
  munmap(m, 6 * kPage);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["vmas"].size(), 1u);
  const auto& v = doc["vmas"][0];
  for (const char* key : {"start", "end", "pgoff", "flags", "anon_vma", "chain"})
    EXPECT_TRUE(v.contains(key)) << key;
  EXPECT_EQ(v["start"], fmt::format("{:#x}", start));
  // anon_vma_fork: the child's chain is its own anon_vma, then the parent's.
  ASSERT_EQ(v["chain"].size(), 2u);
  EXPECT_EQ(v["chain"][0], v["anon_vma"]);
  ASSERT_EQ(doc["anon_vmas"].size(), 2u);
  for (const auto& a : doc["anon_vmas"])
    for (const char* key :
         {"address", "root", "parent", "refcount", "num_children", "num_active_vmas", "tree"})
      EXPECT_TRUE(a.contains(key)) << key;
  ASSERT_EQ(doc["pages"].size(), 4u);
  for (const auto& p : doc["pages"]) {
    for (const char* key : {"address", "pfn", "anon_vma", "index", "mapcount"})
      EXPECT_TRUE(p.contains(key)) << key;
    EXPECT_EQ(p["mapcount"], 2);              // parent and child map each page
    EXPECT_EQ(p["anon_vma"], v["chain"][1]);  // the parent's anon_vma, where it faulted
  }
}

TEST_F(InspectCli, EachReasonItCannotReadHasItsOwnExitCode) {
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  const auto none = run_cli({"inspect", std::to_string(gone)});
  EXPECT_EQ(none.exit_code, 5);
  EXPECT_EQ(none.err, fmt::format("no process has PID {}\n", gone));
  const auto kthread = run_cli({"inspect", "2"});  // kthreadd
  EXPECT_EQ(kthread.exit_code, 6);
  EXPECT_EQ(std::count(kthread.err.begin(), kthread.err.end(), '\n'), 1);
  // Not root: the same command as nobody (setpriv, util-linux).
  if (access("/usr/bin/setpriv", X_OK) == 0) {
    const std::string cmd = "setpriv --reuid=65534 --regid=65534 --clear-groups '" + rmaplab_bin() +
                            "' inspect 1 2>&1 >/dev/null; echo \"exit $?\"";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[512];
      while (fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    EXPECT_EQ(out,
              "reading the kernel's objects needs root (BPF programs and /proc/PID/pagemap "
              "PFNs)\nexit 3\n");
  }
  const auto range = run_cli({"inspect", "1", "--range", "10-5"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_EQ(std::count(range.err.begin(), range.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace rmaplab::test
