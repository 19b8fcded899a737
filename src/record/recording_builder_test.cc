// RecordingBuilder on traces recorded on Linux 6.18.44 (testdata/) and on
// small hand-made traces in the same format.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "record/testdata.h"
#include "rmaplab/record.h"

namespace rmaplab::record {
namespace {

using testing::read_testdata;
using testing::TraceSample;

Recording build(const TraceSample& s) {
  auto r = build_recording(read_testdata(s.file), s.root, s.recorder);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Recording{};
}

Totals sum_of_ops(const Recording& rec) {
  Totals t;
  for (const Operation& op : rec.ops)
    for (const KmemEvent& e : op.kmem) t.add(e);
  return t;
}

const Operation* find_syscall(const Recording& rec, int pid, std::string_view name) {
  for (const Operation& op : rec.ops)
    if (op.pid == pid && op.kind == OpKind::syscall && op.name == name) return &op;
  return nullptr;
}

TEST(RecordingBuilder, AForksAllocationsLandOnTheParentsClone) {
  const Recording rec = build(testing::kForkTrace);
  ASSERT_EQ(rec.tasks.size(), 2u);
  EXPECT_EQ(rec.tasks[0].pid, 19732);
  EXPECT_EQ(rec.tasks[0].origin, TaskOrigin::launched);
  EXPECT_EQ(rec.tasks[1].pid, 19733);
  EXPECT_EQ(rec.tasks[1].parent, 19732);
  EXPECT_EQ(rec.tasks[1].tgid, 19733);
  EXPECT_EQ(rec.tasks[1].origin, TaskOrigin::fork);
  const Operation* clone = find_syscall(rec, 19732, "clone");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->children, std::vector<int>{19733});
  EXPECT_EQ(clone->ret, 19733);
  Totals t;
  for (const KmemEvent& e : clone->kmem) {
    t.add(e);
    EXPECT_TRUE(e.call_site == "anon_vma_fork" || e.call_site == "anon_vma_clone") << e.call_site;
  }
  // One anon_vma and two AVCs for each of the parent's 18 faulted VMAs.
  EXPECT_EQ(t, (Totals{18, 0, 36, 0}));
  // The child's exit frees what its fork allocated.
  const Operation& child_exit = *std::find_if(rec.ops.begin(), rec.ops.end(), [](auto& op) {
    return op.pid == 19733 && op.kind == OpKind::exit;
  });
  Totals freed;
  for (const KmemEvent& e : child_exit.kmem) freed.add(e);
  EXPECT_EQ(freed, (Totals{0, 18, 0, 36}));
  EXPECT_FALSE(child_exit.killed);
  EXPECT_TRUE(child_exit.group_dead);
  EXPECT_EQ(rec.totals(), (Totals{30, 30, 54, 54}));
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
  EXPECT_TRUE(rec.unexplained.empty());
}

TEST(RecordingBuilder, TheRecorderAndThePreExecSpawnChildAreNotInTheRecording) {
  const Recording rec = build(testing::kForkTrace);
  EXPECT_EQ(rec.task(19731), nullptr);
  for (const Operation& op : rec.ops) EXPECT_NE(op.pid, 19731);
  // The launched task's first operation is its execve, with the file exec'd.
  ASSERT_FALSE(rec.ops.empty());
  EXPECT_EQ(rec.ops[0].name, "execve");
  EXPECT_EQ(rec.ops[0].ret, 0);
  EXPECT_EQ(rec.ops[0].exec_filename, "build/release/src/record/rmaplab-record-test-program");
  // elf_load's writes are kernel faults inside the execve.
  EXPECT_EQ(rec.ops[1].kind, OpKind::fault);
  EXPECT_FALSE(rec.ops[1].user_mode);
  EXPECT_EQ(rec.ops[1].within, 0u);
  EXPECT_TRUE(rec.ops[1].is_write_fault());
}

TEST(RecordingBuilder, AThreadSharesItsCreatorsThreadGroup) {
  const Recording rec = build(testing::kThreadTrace);
  ASSERT_EQ(rec.tasks.size(), 2u);
  EXPECT_EQ(rec.tasks[1].origin, TaskOrigin::thread);
  EXPECT_EQ(rec.tasks[1].tgid, 19735);
  const Operation* clone3 = find_syscall(rec, 19735, "clone3");
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ(clone3->children, std::vector<int>{19736});
  // The thread's mmap and first write.
  const Operation* mmap = find_syscall(rec, 19736, "mmap");
  ASSERT_NE(mmap, nullptr);
  EXPECT_FALSE(mmap->file);  // MAP_ANONYMOUS
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
  EXPECT_EQ(rec.totals().anon_vma_alloc, rec.totals().anon_vma_free);
}

TEST(RecordingBuilder, ACrashIsAFaultASignalAndAKilledExit) {
  const Recording rec = build(testing::kCrashTrace);
  ASSERT_GE(rec.ops.size(), 3u);
  const Operation& fault = rec.ops[rec.ops.size() - 3];
  const Operation& signal = rec.ops[rec.ops.size() - 2];
  const Operation& exit = rec.ops.back();
  EXPECT_EQ(fault.kind, OpKind::fault);
  EXPECT_EQ(fault.address, 0x10u);
  EXPECT_TRUE(fault.is_write_fault());
  EXPECT_EQ(signal.kind, OpKind::signal);
  EXPECT_EQ(signal.signal, 11);
  EXPECT_EQ(exit.kind, OpKind::exit);
  EXPECT_TRUE(exit.killed);
  EXPECT_FALSE(exit.kmem.empty());  // its mm torn down
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
}

TEST(RecordingBuilder, AShellsSubshellIsAForkAndItsCommandAVfork) {
  const Recording rec = build(testing::kShellTrace);
  ASSERT_EQ(rec.tasks.size(), 3u);
  int forks = 0, vforks = 0;
  for (const Task& t : rec.tasks) {
    forks += t.origin == TaskOrigin::fork;
    vforks += t.origin == TaskOrigin::vfork;
  }
  EXPECT_EQ(forks + vforks, 2);
  EXPECT_GE(forks, 1);
  // The shared libraries are mapped from files the fd table knows.
  std::size_t file_maps = 0;
  for (const Operation& op : rec.ops)
    if (op.name == "mmap" && op.file) {
      ++file_maps;
      EXPECT_NE(*op.file, kUnknownFile);
      EXPECT_LE(*op.file, rec.files.size());
    }
  EXPECT_GT(file_maps, 0u);
  EXPECT_EQ(rec.totals(), sum_of_ops(rec));
  EXPECT_TRUE(rec.unexplained.empty());
}

// Hand-made traces: "comm-PID [000] ..... SECONDS: EVENT: BODY".
std::string line(int pid, int usec, std::string_view event, std::string_view body) {
  return fmt::format("  prog-{} [000] ..... 100.{:06}: {}: {}\n", pid, usec, event, body);
}
std::string alloc(int pid, int usec, std::string_view site) {
  return line(pid, usec, "kmem_cache_alloc",
              fmt::format("call_site={}+0x30/0x190 ptr=ffff888003a4c1c0 name=anon_vma_chain "
                          "bytes_req=64 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=true",
                          site));
}

TEST(RecordingBuilder, AnAllocationWithNothingInFlightIsUnexplained) {
  std::string t = line(5, 1, "sys_enter", "NR 59 (1, 2, 3, 0, 0, 0)") +
                  line(5, 2, "sys_exit", "NR 59 = 0") + alloc(5, 3, "__anon_vma_prepare");
  auto rec = build_recording(t, 5, 0);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_EQ(rec->unexplained.size(), 1u);
  EXPECT_EQ(rec->unexplained[0].pid, 5);
  EXPECT_EQ(rec->totals().avc_alloc, 1u);
}

TEST(RecordingBuilder, ACallOutsideTheListIsKeptOnlyWhenTheKernelAllocatedInIt) {
  std::string t = line(5, 1, "sys_enter", "NR 59 (1, 2, 3, 0, 0, 0)") +
                  line(5, 2, "sys_exit", "NR 59 = 0") +
                  line(5, 3, "page_fault_user", "address=0x1000 ip=0x2000 error_code=0x6") +
                  line(5, 4, "sys_enter", "NR 0 (3, 1000, 10, 0, 0, 0)") +  // read: dropped
                  line(5, 5, "sys_exit", "NR 0 = 10") +
                  line(5, 6, "sys_enter", "NR 256 (5, 8, 1000, 1000, 0, 0)") +  // migrate_pages
                  alloc(5, 7, "anon_vma_clone") + line(5, 8, "sys_exit", "NR 256 = 0");
  auto rec = build_recording(t, 5, 0);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_EQ(rec->ops.size(), 3u);
  EXPECT_EQ(rec->ops[1].kind, OpKind::fault);
  EXPECT_TRUE(rec->ops[1].kmem.empty());  // the fault ended at the read
  EXPECT_EQ(rec->ops[2].name, "migrate_pages");
  EXPECT_FALSE(rec->ops[2].recorded_call);
  EXPECT_EQ(rec->ops[2].kmem.size(), 1u);
  EXPECT_EQ(rec->ops[2].index, 2u);
}

TEST(RecordingBuilder, FileIdentityFollowsOpenDupForkAndExec) {
  // openat -> 3 (O_CLOEXEC), dup2(3, 9), close(3), fork, the child mmaps 9;
  // after the child's exec, 9 (not close-on-exec) still maps file 1.
  std::string t =
      line(5, 1, "sys_enter", "NR 59 (1, 2, 3, 0, 0, 0)") + line(5, 2, "sys_exit", "NR 59 = 0") +
      line(5, 3, "sys_enter", "NR 257 (ffffff9c, 1000, 80000, 0, 0, 0)") +
      line(5, 4, "sys_exit", "NR 257 = 3") + line(5, 5, "sys_enter", "NR 33 (3, 9, 0, 0, 0, 0)") +
      line(5, 6, "sys_exit", "NR 33 = 9") + line(5, 7, "sys_enter", "NR 3 (3, 0, 0, 0, 0, 0)") +
      line(5, 8, "sys_exit", "NR 3 = 0") + line(5, 9, "sys_enter", "NR 57 (0, 0, 0, 0, 0, 0)") +
      line(5, 10, "task_newtask", "pid=6 comm=prog clone_flags=0 oom_score_adj=0") +
      line(5, 11, "sys_exit", "NR 57 = 6") +
      line(6, 12, "sys_enter", "NR 9 (0, 1000, 1, 2, 9, 0)") + line(6, 13, "sys_exit", "NR 9 = 4096") +
      line(6, 14, "sys_enter", "NR 9 (0, 1000, 1, 2, 3, 0)") + line(6, 15, "sys_exit", "NR 9 = -9") +
      line(6, 16, "sys_enter", "NR 59 (1, 2, 3, 0, 0, 0)") +
      line(6, 17, "sched_process_exec", "filename=/bin/x pid=6 old_pid=6") +
      line(6, 18, "sys_exit", "NR 59 = 0") + line(6, 19, "sys_enter", "NR 9 (0, 1000, 1, 2, 9, 0)") +
      line(6, 20, "sys_exit", "NR 9 = 8192");
  auto rec = build_recording(t, 5, 0);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_EQ(rec->files.size(), 1u);
  EXPECT_EQ(rec->files[0].fd, 3);
  EXPECT_EQ(rec->files[0].flags, 0x80000u);
  std::vector<std::optional<std::uint32_t>> maps;
  for (const Operation& op : rec->ops)
    if (op.name == "mmap") maps.push_back(op.file);
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0], 1u);
  EXPECT_EQ(maps[1], kUnknownFile);  // 3 was closed before the fork
  EXPECT_EQ(maps[2], 1u);
  const Operation* exec = nullptr;
  for (const Operation& op : rec->ops)
    if (op.pid == 6 && op.name == "execve") exec = &op;
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->exec_filename, "/bin/x");
}

TEST(RecordingBuilder, LostEventsAreAnError) {
  std::string t = line(5, 1, "sys_enter", "NR 59 (1, 2, 3, 0, 0, 0)") + "CPU:0 [LOST 12 EVENTS]\n";
  auto rec = build_recording(t, 5, 0);
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.error().message.find("lost 12 events on CPU 0"), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::record
