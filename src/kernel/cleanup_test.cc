// The runner leaves nothing behind: no helper process and no tracefs
// instance, whether the script ends with processes still running, or the
// runner is stopped by SIGINT, SIGTERM or SIGQUIT (it cleans up, then dies of the
// signal), or killed outright by SIGKILL (helpers die with it; the next run
// removes the stale instance). Skipped where probe() fails.
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kernel/helper_protocol.h"
#include "kernel/tracefs.h"
#include "rmaplab/kernel.h"
#include "rmaplab/script.h"

namespace rmaplab::kernel {
namespace {

using namespace std::chrono_literals;

// Live (not zombie) helpers of the runner process `runner`: their comm is
// "rmlh-<runner>".
std::vector<int> helpers_of(int runner) {
  const std::string comm = std::string(wire::kCommPrefix) + std::to_string(runner);
  std::vector<int> pids;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ...": comm may hold spaces; state follows the last ')'.
    std::size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size())
      continue;
    if (line.substr(open + 1, close - open - 1) == comm && line[close + 2] != 'Z')
      pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

bool instance_exists(int runner) {
  struct stat st;
  const std::string dir = std::string(kTracefsRoot) + "/instances/" + std::string(kInstancePrefix) +
                          std::to_string(runner);
  return stat(dir.c_str(), &st) == 0;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(5ms))
    if (pred()) return true;
  return pred();
}

class KernelCleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = probe();
    if (!s.ok()) GTEST_SKIP() << "the kernel cannot be observed: " << s.error().message;
  }

  // Forks a runner on a long script with spawned and forked processes (so
  // both ways helpers die with their runner are used), waits until it is
  // well into the script, and sends it `sig`.
  static int start_and_signal(int sig) {
    std::string text = "spawn P\nP mmap 0 4\nP write 0\nP fork C\nC fork D\nspawn Q\nQ mmap 0 1\n";
    for (int i = 0; i < 50000; ++i) text += "D write 0\nQ read 0\n";
    auto script = parse_script(text, "long.rml");
    EXPECT_TRUE(script.ok());
    const int runner = fork();
    if (runner == 0) {
      signal(sig, SIG_DFL);  // as a fresh command would have it
      const rlimit no_core = {0, 0};
      setrlimit(RLIMIT_CORE, &no_core);  // SIGQUIT's default action dumps core
      auto r = run(*script);
      _exit(r.ok() ? 0 : 3);
    }
    EXPECT_TRUE(eventually([&] {
      return helpers_of(runner).size() == 4 && instance_exists(runner);
    })) << "the runner never got going";
    std::this_thread::sleep_for(50ms);
    kill(runner, sig);
    int status = 0;
    EXPECT_EQ(waitpid(runner, &status, 0), runner);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
        << "status " << status << ": the runner should die of signal " << sig;
    return runner;
  }
};

// Also: the calling process gets its CPU affinity, subreaper flag and
// signal handlers back.
TEST_F(KernelCleanupTest, ScriptLeavingProcessesRunning) {
  auto script = parse_script(
      "spawn P\nP mmap 0 4\nP write 0\nP fork C\nC fork D\nspawn Q\nQ mmap 0 1\n", "t.rml");
  ASSERT_TRUE(script.ok()) << script.error().message;
  cpu_set_t cpus_before, cpus_after;
  ASSERT_EQ(sched_getaffinity(0, sizeof cpus_before, &cpus_before), 0);
  int subreaper_before = -1, subreaper_after = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &subreaper_before);
  struct sigaction term_before, term_after;
  sigaction(SIGTERM, nullptr, &term_before);

  auto r = run(*script);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->live_anon_vma, 3u);  // P's, C's and D's are alive at the end
  EXPECT_TRUE(helpers_of(getpid()).empty());
  EXPECT_FALSE(instance_exists(getpid()));

  ASSERT_EQ(sched_getaffinity(0, sizeof cpus_after, &cpus_after), 0);
  EXPECT_TRUE(CPU_EQUAL(&cpus_before, &cpus_after));
  prctl(PR_GET_CHILD_SUBREAPER, &subreaper_after);
  EXPECT_EQ(subreaper_before, subreaper_after);
  sigaction(SIGTERM, nullptr, &term_after);
  EXPECT_EQ(term_before.sa_handler, term_after.sa_handler);
}

TEST_F(KernelCleanupTest, SigtermCleansUpThenDies) {
  const int runner = start_and_signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return helpers_of(runner).empty(); }));
  EXPECT_FALSE(instance_exists(runner));
}

TEST_F(KernelCleanupTest, SigintCleansUpThenDies) {
  const int runner = start_and_signal(SIGINT);
  EXPECT_TRUE(eventually([&] { return helpers_of(runner).empty(); }));
  EXPECT_FALSE(instance_exists(runner));
}

TEST_F(KernelCleanupTest, SigquitCleansUpThenDies) {
  const int runner = start_and_signal(SIGQUIT);
  EXPECT_TRUE(eventually([&] { return helpers_of(runner).empty(); }));
  EXPECT_FALSE(instance_exists(runner));
}

TEST_F(KernelCleanupTest, SigkillTakesTheHelpersAlongAndTheNextRunRemovesTheInstance) {
  const int runner = start_and_signal(SIGKILL);
  // Nobody could remove the instance, unless a run in a concurrent test
  // process already did what this test's run does next.
  const bool stale = instance_exists(runner);
  EXPECT_TRUE(eventually([&] { return helpers_of(runner).empty(); }));
  auto script = parse_script("spawn P\n", "t.rml");
  ASSERT_TRUE(script.ok());
  ASSERT_TRUE(run(*script).ok());
  EXPECT_FALSE(instance_exists(runner)) << (stale ? "stale instance kept" : "");
}

}  // namespace
}  // namespace rmaplab::kernel
