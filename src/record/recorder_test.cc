// record_command() on real programs: the task tree, where a fork's
// allocations land, totals against the per-operation truth, a crash, a
// missing command, a timeout, a signal to the recorder, lost events, and that
// no tracefs instance or process is left behind. Skipped with the reason
// where the kernel cannot be observed (not root, no tracefs).
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "kernel/tracefs.h"
#include "rmaplab/record.h"

namespace rmaplab::record {
namespace {

using namespace std::chrono_literals;

const std::string kProgram = RMAPLAB_RECORD_TEST_PROGRAM;

std::string instance_path(int recorder) {
  return std::string(kernel::kTracefsRoot) + "/instances/" +
         std::string(kernel::kRecordInstancePrefix) + std::to_string(recorder);
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Live processes whose command line starts with the test program and `mode`.
int running(const std::string& mode) {
  int n = 0;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (std::atoi(e->d_name) <= 0) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string st;
    std::getline(stat, st);
    std::size_t close = st.rfind(')');
    bool zombie = close != std::string::npos && close + 2 < st.size() && st[close + 2] == 'Z';
    if (!zombie && cmdline == kProgram + '\0' + mode + '\0') ++n;
  }
  closedir(proc);
  return n;
}

Totals sum_of_ops(const Recording& rec) {
  Totals t;
  for (const Operation& op : rec.ops)
    for (const KmemEvent& e : op.kmem) t.add(e);
  return t;
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the kernel cannot be observed: not root";
    if (Status s = kernel::ensure_tracefs(); !s.ok())
      GTEST_SKIP() << "the kernel cannot be observed: " << s.error().message;
    if (Status s = kernel::check_kmem_events(); !s.ok())
      GTEST_SKIP() << "the kernel cannot be observed: " << s.error().message;
  }
  void TearDown() override { EXPECT_FALSE(exists(instance_path(getpid()))); }

  Recording record(std::vector<std::string> command) {
    RecordOptions o;
    o.command = std::move(command);
    o.timeout_seconds = 60;
    RecordResult r = record_command(o);
    EXPECT_EQ(r.failure, RecordFailure::none) << r.message;
    EXPECT_FALSE(exists(instance_path(getpid())));
    return r.recording ? *r.recording : Recording{};
  }
};

TEST_F(RecorderTest, TrueIsOneTaskThatFreesWhatItAllocated) {
  Recording rec = record({"/bin/true"});
  ASSERT_EQ(rec.tasks.size(), 1u);
  EXPECT_EQ(rec.tasks[0].origin, TaskOrigin::launched);
  ASSERT_TRUE(rec.tasks[0].wait_status);
  EXPECT_TRUE(WIFEXITED(*rec.tasks[0].wait_status));
  ASSERT_FALSE(rec.ops.empty());
  EXPECT_EQ(rec.ops[0].name, "execve");
  EXPECT_EQ(rec.ops[0].exec_filename, "/bin/true");
  EXPECT_EQ(rec.ops.back().kind, OpKind::exit);
  Totals t = rec.totals();
  EXPECT_GT(t.anon_vma_alloc, 0u);
  EXPECT_EQ(t.anon_vma_alloc, t.anon_vma_free);
  EXPECT_EQ(t.avc_alloc, t.avc_free);
  EXPECT_EQ(t, sum_of_ops(rec));
  EXPECT_TRUE(rec.unexplained.empty());
}

TEST_F(RecorderTest, AForksAllocationsLandOnTheParentsClone) {
  Recording rec = record({kProgram, "fork"});
  ASSERT_EQ(rec.tasks.size(), 2u);
  const Task& child = rec.tasks[1];
  EXPECT_EQ(child.origin, TaskOrigin::fork);
  EXPECT_EQ(child.parent, rec.tasks[0].pid);
  const Operation* clone = nullptr;
  for (const Operation& op : rec.ops)
    if (op.pid == rec.tasks[0].pid && (op.name == "clone" || op.name == "clone3")) clone = &op;
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->children, std::vector<int>{child.pid});
  int forked = 0;
  for (const KmemEvent& e : clone->kmem) {
    EXPECT_EQ(e.pid, rec.tasks[0].pid);
    forked += e.call_site == "anon_vma_fork" && e.object == KernelObject::anon_vma;
  }
  EXPECT_GT(forked, 0);  // the 4 written pages' VMA, at least
  // Nothing of the fork is charged to the child.
  for (const Operation& op : rec.ops) {
    if (op.pid != child.pid || op.kind == OpKind::exit) continue;
    for (const KmemEvent& e : op.kmem) EXPECT_NE(e.call_site, "anon_vma_fork");
  }
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
  EXPECT_EQ(rec.totals().anon_vma_alloc, rec.totals().anon_vma_free);
  EXPECT_TRUE(rec.unexplained.empty());
}

TEST_F(RecorderTest, AShellsTreeIsFollowed) {
  Recording rec = record({"sh", "-c", "/bin/true; /bin/true"});
  ASSERT_EQ(rec.tasks.size(), 3u);
  for (std::size_t i = 1; i < rec.tasks.size(); ++i) {
    EXPECT_EQ(rec.tasks[i].parent, rec.tasks[0].pid);
    EXPECT_TRUE(rec.tasks[i].origin == TaskOrigin::fork || rec.tasks[i].origin == TaskOrigin::vfork);
  }
  int execs = 0;
  for (const Operation& op : rec.ops) execs += op.exec_filename == "/bin/true";
  EXPECT_EQ(execs, 2);
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
}

TEST_F(RecorderTest, ACrashIsRecordedAndTheRecordingIsValid) {
  Recording rec = record({kProgram, "crash"});
  ASSERT_FALSE(rec.tasks.empty());
  ASSERT_TRUE(rec.tasks[0].wait_status);
  EXPECT_TRUE(WIFSIGNALED(*rec.tasks[0].wait_status));
  EXPECT_EQ(WTERMSIG(*rec.tasks[0].wait_status), SIGSEGV);
  ASSERT_GE(rec.ops.size(), 2u);
  EXPECT_EQ(rec.ops[rec.ops.size() - 2].kind, OpKind::signal);
  EXPECT_EQ(rec.ops[rec.ops.size() - 2].signal, SIGSEGV);
  EXPECT_TRUE(rec.ops.back().killed);
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("rmaplab-record-crash-" + std::to_string(getpid())))
                              .string();
  ASSERT_TRUE(save_recording(rec, dir).ok());
  auto back = load_recording(dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, rec);
}

TEST_F(RecorderTest, AMissingCommandIsOneSentence) {
  RecordOptions o;
  o.command = {"rmaplab-no-such-command-anywhere"};
  RecordResult r = record_command(o);
  EXPECT_EQ(r.failure, RecordFailure::no_command);
  EXPECT_EQ(r.message,
            "rmaplab-no-such-command-anywhere: no such command (not found, or not executable)");
}

TEST_F(RecorderTest, ATimeoutKillsTheWholeTreeEvenItsOrphans) {
  // "spawn" leaves a sleeping child behind: the tree outlives the command.
  RecordOptions o;
  o.command = {kProgram, "spawn"};
  o.timeout_seconds = 0.5;
  auto start = std::chrono::steady_clock::now();
  RecordResult r = record_command(o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(r.failure, RecordFailure::timeout);
  EXPECT_NE(r.message.find("did not finish within 0.5 s"), std::string::npos) << r.message;
  EXPECT_EQ(running("spawn"), 0);
}

TEST_F(RecorderTest, SigtermToTheRecorderKillsTheTreeAndRemovesTheInstance) {
  pid_t recorder = fork();
  ASSERT_GE(recorder, 0);
  if (recorder == 0) {
    RecordOptions o;
    o.command = {kProgram, "sleep"};
    RecordResult r = record_command(o);
    _exit(r.failure == RecordFailure::interrupted ? 128 + r.signal : 1);
  }
  // Wait until the command runs under it.
  for (int i = 0; i < 500 && running("sleep") == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(running("sleep"), 1);
  EXPECT_TRUE(exists(instance_path(recorder)));
  kill(recorder, SIGTERM);
  int st = 0;
  ASSERT_EQ(waitpid(recorder, &st, 0), recorder);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 128 + SIGTERM);
  EXPECT_EQ(running("sleep"), 0);
  EXPECT_FALSE(exists(instance_path(recorder)));
}

TEST_F(RecorderTest, LostEventsAreAClearError) {
  RecordOptions o;
  o.command = {"sh", "-c", "i=0; while [ $i -lt 40 ]; do /bin/true; i=$((i+1)); done"};
  o.buffer_kb_per_cpu = 64;
  RecordResult r = record_command(o);
  EXPECT_EQ(r.failure, RecordFailure::lost_events) << r.message;
  EXPECT_NE(r.message.find("lost events"), std::string::npos) << r.message;
}

TEST_F(RecorderTest, AStaleInstanceOfADeadRecorderIsRemoved) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string stale = instance_path(dead);
  ASSERT_EQ(mkdir(stale.c_str(), 0755), 0);
  record({"/bin/true"});
  EXPECT_FALSE(exists(stale));
  rmdir(stale.c_str());
}

}  // namespace
}  // namespace rmaplab::record
