// The runner on the live kernel. Expected values are the kernel's own
// (shared/docs/kernel-field-guide.md §11, re-measured here). Every test is
// skipped, with the reason, where probe() says the kernel cannot be observed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel/helper_processes.h"
#include "rmaplab/kernel.h"
#include "rmaplab/script.h"

namespace rmaplab::kernel {
namespace {

class KernelRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = probe();
    if (!s.ok()) GTEST_SKIP() << "the kernel cannot be observed: " << s.error().message;
  }

  // Runs script text; fails the test on a script or runner error.
  static kernel::Run run_text(std::string_view text, const Options& options = {}) {
    auto script = parse_script(text, "test.rml");
    EXPECT_TRUE(script.ok()) << script.error().message;
    if (!script.ok()) return {};
    auto r = run(*script, options);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value() : kernel::Run{};
  }
};

// The events of one operation, compactly and in trace order: "+" alloc, "-"
// free, "a" anon_vma, "c" AVC, then the call site and the object id:
// "+c:__anon_vma_prepare#1 +a:__anon_vma_prepare#1".
std::string events(const OpResult& op) {
  std::string s;
  for (const Event& e : op.events) {
    if (!s.empty()) s += ' ';
    s += e.type == EventType::alloc ? '+' : '-';
    s += e.kind == ObjectKind::anon_vma ? 'a' : 'c';
    s += ':' + e.call_site + '#' + std::to_string(e.id);
  }
  return s;
}

// (anon_vma alloc, anon_vma free, AVC alloc, AVC free), as in the guide's
// table.
std::string counts(const OpResult& op) {
  const Counts c = op.counts();
  return fmt::format("{} {} {} {}", c.anon_vma_alloc, c.anon_vma_free, c.avc_alloc, c.avc_free);
}

TEST_F(KernelRunnerTest, FirstWriteFaultPreparesAvcThenAnonVma) {
  kernel::Run r = run_text(
      "spawn P\n"
      "P mmap 0 16\n"
      "P read 0\n"     // zero page: nothing
      "P write 0\n"    // first write fault
      "P write 1\n");  // same VMA: nothing
  ASSERT_EQ(r.ops.size(), 5u);
  EXPECT_EQ(events(r.ops[0]), "");
  EXPECT_EQ(events(r.ops[1]), "");
  EXPECT_EQ(events(r.ops[2]), "");
  EXPECT_EQ(events(r.ops[3]), "+c:__anon_vma_prepare#1 +a:__anon_vma_prepare#1");
  EXPECT_EQ(events(r.ops[4]), "");
  EXPECT_EQ(r.live_anon_vma, 1u);
  EXPECT_EQ(r.live_avc, 1u);
  for (const OpResult& op : r.ops) EXPECT_EQ(op.result, "ok") << "line " << op.line;
}

TEST_F(KernelRunnerTest, ForkOfFaultedVmaThenExitsFreeEverything) {
  kernel::Run r = run_text(
      "spawn P\n"
      "P mmap 0 4\n"
      "P write 0\n"
      "P fork C\n"  // clone P's chain (1 AVC), new anon_vma + its own AVC
      "C exit\n"    // C's anon_vma tree empties; P's root stays
      "P exit\n");  // last user of the root
  ASSERT_EQ(r.ops.size(), 6u);
  EXPECT_EQ(counts(r.ops[3]), "1 0 2 0");
  EXPECT_EQ(events(r.ops[3]), "+c:anon_vma_clone#2 +a:anon_vma_fork#2 +c:anon_vma_fork#3");
  // unlink_anon_vmas pass 1 frees the AVC of the still-used root; pass 2
  // puts C's own anon_vma, then frees its AVC.
  EXPECT_EQ(events(r.ops[4]), "-c:unlink_anon_vmas#2 -a:__put_anon_vma#2 -c:unlink_anon_vmas#3");
  EXPECT_EQ(events(r.ops[5]), "-a:__put_anon_vma#1 -c:unlink_anon_vmas#1");
  EXPECT_EQ(r.live_anon_vma, 0u);
  EXPECT_EQ(r.live_avc, 0u);
}

// The helpers themselves own no anon_vma: fork and exit of idle processes
// cause no event at all.
TEST_F(KernelRunnerTest, IdleHelpersForkAndExitWithoutEvents) {
  kernel::Run r = run_text(
      "spawn P\n"
      "P fork C\n"
      "C fork D\n"
      "C exit\n"  // D is orphaned and keeps running
      "D exit\n"
      "P exit\n");
  ASSERT_EQ(r.ops.size(), 6u);
  for (const OpResult& op : r.ops) {
    EXPECT_EQ(events(op), "") << "line " << op.line;
    EXPECT_EQ(op.result, "ok") << "line " << op.line;
  }
  EXPECT_EQ(r.live_anon_vma, 0u);
  EXPECT_EQ(r.live_avc, 0u);
}

TEST_F(KernelRunnerTest, ReadyHelperMapsNothingPrivateAndWritable) {
  static const volatile sig_atomic_t never = 0;
  const int spawned[] = {0};
  auto h = HelperProcesses::create(2, spawned, &never);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_TRUE((*h)->fork(0, 1).ok());
  for (int slot : {0, 1}) {
    std::ifstream maps("/proc/" + std::to_string((*h)->pid(slot)) + "/maps");
    std::string line, all;
    while (std::getline(maps, line)) {
      all += line + "\n";
      std::istringstream in(line);
      std::string range, perms, offset, dev, inode, name;
      in >> range >> perms >> offset >> dev >> inode;
      std::getline(in, name);
      name.erase(0, name.find_first_not_of(' '));
      // Only the helper's own text, the shared stacks and the vDSO.
      const bool text = name.starts_with("/memfd:rmaplab-helper") && perms[1] == '-';
      const bool shared = perms == "rw-s";
      const bool vdso =
          name == "[vvar]" || name == "[vvar_vclock]" || name == "[vdso]" || name == "[vsyscall]";
      EXPECT_TRUE(text || shared || vdso) << "slot " << slot << ": " << line;
    }
    EXPECT_NE(all.find("rmaplab-helper"), std::string::npos) << all;
    EXPECT_EQ(all.find("[stack]"), std::string::npos) << all;
    EXPECT_EQ(all.find("[heap]"), std::string::npos) << all;
  }
}

TEST_F(KernelRunnerTest, RefusedSystemCallsAreResults) {
  kernel::Run r = run_text(
      "spawn P\n"
      "P mmap 0 8\n"
      "P mremap 0 4 2 4\n"    // ranges overlap
      "P mprotect 0 32 r\n"   // runs into a hole
      "P munmap 100 4\n"      // nothing there: fine
      "P mremap 50 1 60 1\n"  // nothing to move
      "P madvise 0 8 wipeonfork\n"
      "P mmap 16 4 rw shared\n"
      "P madvise 16 4 wipeonfork\n");  // not on shared memory
  ASSERT_EQ(r.ops.size(), 9u);
  EXPECT_EQ(r.ops[2].result, "EINVAL");
  EXPECT_EQ(r.ops[3].result, "ENOMEM");
  EXPECT_EQ(r.ops[4].result, "ok");
  EXPECT_EQ(r.ops[5].result, "EFAULT");
  EXPECT_EQ(r.ops[6].result, "ok");
  EXPECT_EQ(r.ops[8].result, "EINVAL");
  for (const OpResult& op : r.ops) EXPECT_EQ(events(op), "") << "line " << op.line;
}

TEST_F(KernelRunnerTest, SnapshotsShowPagesSharedByFork) {
  Options o;
  o.snapshot = true;
  kernel::Run r = run_text(
      "spawn P\n"
      "P mmap 0 4\n"
      "P mprotect 2 2 r\n"
      "P read 0\n"
      "P write 1\n"
      "P fork C\n"
      "C write 1\n"
      "C exit\n",
      o);
  ASSERT_EQ(r.ops.size(), 8u);
  // After "P write 1": page 0 is the zero page, page 1 an exclusive page.
  const ProcessState& p = r.ops[4].after.at(0);
  EXPECT_TRUE(p.alive);
  ASSERT_EQ(p.vmas.size(), 2u);
  EXPECT_EQ(p.vmas[0], (VmaLayout{0, 2, "rw-p"}));
  EXPECT_EQ(p.vmas[1], (VmaLayout{2, 4, "r--p"}));
  ASSERT_EQ(p.pages.size(), 2u);
  EXPECT_EQ(p.pages[0].page, 0u);
  EXPECT_TRUE(p.pages[0].zero_page);
  EXPECT_EQ(p.pages[1].page, 1u);
  EXPECT_FALSE(p.pages[1].zero_page);
  EXPECT_TRUE(p.pages[1].exclusive);
  EXPECT_EQ(p.pages[1].mapcount, 1u);
  // After the fork, both map the page, which is no longer exclusive.
  const auto& after_fork = r.ops[5].after;
  ASSERT_EQ(after_fork.size(), 2u);
  EXPECT_EQ(after_fork[1].name, "C");
  const PageInfo& shared = after_fork[0].pages.at(1);
  EXPECT_EQ(shared.pfn, after_fork[1].pages.at(1).pfn);
  EXPECT_EQ(shared.mapcount, 2u);
  EXPECT_FALSE(shared.exclusive);
  // C's write copied it; C's exit is listed as not alive.
  EXPECT_NE(r.ops[6].after[1].pages.at(1).pfn, shared.pfn);
  EXPECT_FALSE(r.ops[7].after[1].alive);
  EXPECT_TRUE(r.ops[7].after[1].pages.empty());

  const nlohmann::json j = to_json(r);
  const nlohmann::json& p_json = j["ops"][4]["after"][0];
  EXPECT_EQ(p_json["name"], "P");
  EXPECT_EQ(p_json["vmas"][1], (nlohmann::json{{"start", 2}, {"end", 4}, {"prot", "r--p"}}));
  EXPECT_EQ(p_json["pages"][0]["zero_page"], true);
  EXPECT_EQ(p_json["pages"][1]["mapcount"], 1);
}

TEST_F(KernelRunnerTest, ThreeRunsGiveIdenticalResults) {
  const char* text =
      "spawn P\n"
      "P mmap 0 16\n"
      "P write 0 16\n"
      "P mprotect 4 4 r\n"
      "P fork C\n"
      "C munmap 6 4\n"
      "C mremap 12 2 40 2\n"
      "C fork D\n"
      "C exit\n"
      "D write 0\n"
      "P madvise 0 4 dontfork\n"
      "P fork E\n"
      "P exit\n";
  const nlohmann::json first = to_json(run_text(text));
  EXPECT_EQ(to_json(run_text(text)), first);
  EXPECT_EQ(to_json(run_text(text)), first);
}

TEST_F(KernelRunnerTest, JsonHasTheLanguageFieldsAndIds) {
  kernel::Run r = run_text(
      "spawn P\n"
      "P mmap 0 4\n"
      "P write 0\n"
      "P fork C\n");
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["kernel"], r.kernel_release);
  EXPECT_EQ(j["live"]["anon_vma"], 2);
  EXPECT_EQ(j["live"]["avc"], 3);
  const nlohmann::json& fork = j["ops"][3];
  EXPECT_EQ(fork["line"], 4);
  EXPECT_EQ(fork["result"], "ok");
  EXPECT_EQ(fork["anon_vma_alloc"], 1);
  EXPECT_EQ(fork["anon_vma_free"], 0);
  EXPECT_EQ(fork["avc_alloc"], 2);
  EXPECT_EQ(fork["avc_free"], 0);
  EXPECT_EQ(
      fork["events"][0],
      (nlohmann::json{{"op", "alloc"}, {"kind", "avc"}, {"site", "anon_vma_clone"}, {"id", 2}}));
  EXPECT_EQ(fork["call_sites"]["anon_vma_fork"]["anon_vma_alloc"], 1);
  EXPECT_EQ(fork["call_sites"]["anon_vma_fork"]["avc_alloc"], 1);
  EXPECT_EQ(fork["call_sites"]["anon_vma_clone"]["avc_alloc"], 1);
  EXPECT_FALSE(fork.contains("after"));
}

// A process that dies is an error naming the line; a fault says what and
// where. The SIGBUS case is a script the model accepts: shared anonymous
// memory grown by mremap has no backing beyond its original size.
TEST_F(KernelRunnerTest, AFaultingProcessIsAnErrorWithItsLine) {
  auto segv = parse_script("spawn P\nP mmap 0 1\nP read 9\n", "segv.rml");
  ASSERT_TRUE(segv.ok());
  auto r = run(*segv);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("segv.rml:3:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("SIGSEGV at 0x100000009000 (arena page 9)"), std::string::npos)
      << r.error().message;

  auto bus = parse_script("spawn P\nP mmap 0 1 rw shared\nP mremap 0 1 4 4\nP write 4\nP write 5\n",
                          "bus.rml");
  ASSERT_TRUE(bus.ok());
  r = run(*bus);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("bus.rml:5:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("SIGBUS"), std::string::npos) << r.error().message;
}

// A ring buffer too small for one operation's events is an error, never a
// miscount: fork of 50 faulted VMAs makes 150 events, far more than 4 KiB.
TEST_F(KernelRunnerTest, LostTraceEventsAreAnError) {
  std::string text = "spawn P\n";
  for (int i = 0; i < 100; i += 2)  // alternate protections: no merging
    text += "P mmap " + std::to_string(i) + " 1 " + (i % 4 ? "rwx" : "rw") + "\nP write " +
            std::to_string(i) + "\n";
  text += "P fork C\n";
  auto script = parse_script(text, "many.rml");
  ASSERT_TRUE(script.ok());
  Options small;
  small.trace_buffer_kb = 4;
  auto r = run(*script, small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("lost events"), std::string::npos) << r.error().message;
  Options enough;
  enough.trace_buffer_kb = 256;
  r = run(*script, enough);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ops.back().events.size(), 150u);
}

// Descriptors open in this process now.
std::size_t open_fds() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n += !e.is_directory();
  return n;
}

// Each operation reaches the sink as it completes; descriptors follow the
// live processes (two alive at a time here), not the 400 the script names.
TEST_F(KernelRunnerTest, StreamedOperationsAndDescriptorsFollowLiveProcesses) {
  std::string text = "spawn G0\nG0 mmap 0 2\nG0 write 0\n";
  for (int i = 0; i < 400; ++i) text += fmt::format("G{} fork G{}\nG{} exit\n", i, i + 1, i);
  auto script = parse_script(text, "chain.rml");
  ASSERT_TRUE(script.ok()) << script.error().message;
  const std::size_t before = open_fds();
  std::size_t ops = 0, most_fds = 0;
  std::string fork_counts;
  auto r = run(*script, {}, [&](OpResult&& op) {
    ++ops;
    most_fds = std::max(most_fds, open_fds());
    if (ops == 4) fork_counts = counts(op);  // G0 fork G1
    return ok_status();
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ops, script->ops.size());
  EXPECT_TRUE(r->ops.empty());  // handed over, not kept
  EXPECT_EQ(fork_counts, "1 0 2 0");
  // The tracefs instance's files, the runner's /proc readers, and a channel
  // and a pidfd for each of the (at most two) live processes.
  EXPECT_LE(most_fds, before + 16) << "descriptors grew with the script";
}

// A sink's error stops the run and is run()'s error; nothing is left behind.
TEST_F(KernelRunnerTest, SinkErrorStopsTheRun) {
  auto script = parse_script("spawn P\nP mmap 0 1\nP write 0\nP exit\n", "t.rml");
  ASSERT_TRUE(script.ok());
  std::size_t ops = 0;
  auto r = run(*script, {}, [&](OpResult&&) -> Status {
    if (++ops == 2) return Error{"enough"};
    return ok_status();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "enough");
  EXPECT_EQ(ops, 2u);
}

// With snapshot_touched, an operation's snapshot lists the processes it
// touched (for fork, parent and child; for exit, the process, not alive),
// and the last operation and those in full_snapshots list every process.
TEST_F(KernelRunnerTest, TouchedSnapshotsListTheOperationsProcesses) {
  Options o;
  o.snapshot = true;
  o.snapshot_touched = true;
  o.full_snapshots = {2};
  const kernel::Run r = run_text(
      "spawn P\n"
      "spawn Q\n"
      "P mmap 0 2\n"
      "P fork C\n"
      "Q mmap 4 1\n"
      "C exit\n"
      "Q write 4\n",
      o);
  ASSERT_EQ(r.ops.size(), 7u);
  auto names = [](const OpResult& op) {
    std::string s = op.after_all ? "all:" : "";
    for (const ProcessState& p : op.after) s += p.name + (p.alive ? "+" : "-") + " ";
    return s;
  };
  EXPECT_EQ(names(r.ops[0]), "P+ ");
  EXPECT_EQ(names(r.ops[2]), "all:P+ Q+ ");
  EXPECT_EQ(names(r.ops[3]), "P+ C+ ");
  EXPECT_EQ(r.ops[3].after[1].vmas, (std::vector<VmaLayout>{{0, 2, "rw-p"}}));
  EXPECT_EQ(names(r.ops[4]), "Q+ ");
  EXPECT_EQ(names(r.ops[5]), "C- ");
  EXPECT_EQ(names(r.ops[6]), "all:P+ Q+ C- ");
}

}  // namespace
}  // namespace rmaplab::kernel
