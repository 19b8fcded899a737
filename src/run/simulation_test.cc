// The driver's contract (include/rmaplab/run.h), one behaviour per test.
#include <gtest/gtest.h>

#include "check/anon_vma_test_access.h"
#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/run.h"
#include "rmaplab/state.h"
#include "run/model_of.h"

namespace rmaplab {
namespace {

Script parse(std::string_view text) {
  auto s = parse_script(text, "t.rml");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(s.value()) : Script{};
}

// Steps until the operation on `line` has been applied.
void step_to(Simulation& sim, int line) {
  while (!sim.done() && sim.script().ops[sim.next_op()].line <= line) ASSERT_TRUE(sim.step().ok());
}

TEST(Simulation, AGuardStopsTheRunWithItsRuleOperationAndObjectInEveryBuild) {
#ifdef NDEBUG
  RecordProperty("NDEBUG", "defined: asserts are compiled out, the guard is not");
#endif
  const Script script = parse("spawn P\nP mmap 0 4\nP write 0\nP munmap 0 4\nP exit\n");
  Simulation sim(script, {});
  step_to(sim, 3);
  // Plant a num_active_vmas the model could never reach: the unmap's
  // unlink_anon_vmas then detaches the VMA from an anon_vma that counts none.
  model::anon_vma* av = machine_of(sim).env().anon_vmas().front();
  model::anon_vma_test_access::num_active_vmas(*av) = 0;
  auto rec = sim.step();
  ASSERT_TRUE(rec.ok()) << "a broken rule is not a script error";
  EXPECT_EQ(rec->result, "stopped");
  ASSERT_TRUE(sim.violation());
  EXPECT_EQ(sim.violation()->rule, "num_active_vmas underflow");
  EXPECT_TRUE(sim.violation()->during);
  EXPECT_EQ(sim.violation()->line, 4);
  EXPECT_EQ(sim.violation()->op, "P munmap 0 4");
  EXPECT_NE(sim.violation()->message.find("anon_vma #1"), std::string::npos)
      << sim.violation()->message;
  EXPECT_TRUE(sim.done()) << "the model is not used again";
  EXPECT_EQ(sim.summary().ops, 4u);
}

TEST(Simulation, TheCheckerNamesTheOperationAfterWhichARuleBroke) {
  const Script script = parse("spawn P\nP mmap 0 4\nP write 0\nP fork C\nC write 1\n");
  RunOptions o;
  o.check = true;
  Simulation sim(script, o);
  step_to(sim, 3);
  // A counter off by one where no guard looks (the child's fork reads it):
  // the check after the fork, which touches the family, sees it.
  model::anon_vma* av = machine_of(sim).env().anon_vmas().front();
  ++model::anon_vma_test_access::refcount(*av);
  ASSERT_TRUE(sim.step().ok());
  ASSERT_TRUE(sim.violation());
  EXPECT_EQ(sim.violation()->rule, "I8 refcount");
  EXPECT_EQ(sim.violation()->line, 4);
  EXPECT_FALSE(sim.violation()->during);
  EXPECT_TRUE(sim.done());
}

TEST(Simulation, AForkRecordsWhatTheReuseRuleSawOfEachAnonVmaItAskedAbout) {
  // examples/04-deep-fork-chain-reuse.rml's first reuse. G2's VMA has the
  // chain [Y2 #3, Y1 #2, R #1]; anon_vma_clone walks it from the root side
  // and 6.18 takes the first anon_vma with no active VMA and fewer than two
  // children (mm/rmap.c, anon_vma_clone). R counts its self link and Y1:
  // refused. Y1 lost G1's VMA and has Y2: taken, and the walk asks no more.
  // The kernel allocates no anon_vma at this fork (examples/04-*.expected.json).
  const Script script = parse(
      "spawn G0\nG0 mmap 4 8\nG0 write 4 8\nG0 fork G1\nG0 exit\nG1 fork G2\nG1 exit\n"
      "G2 fork G3\n");
  Simulation sim(script, {});
  step_to(sim, 7);
  auto fork = sim.step();
  ASSERT_TRUE(fork.ok());
  EXPECT_EQ(fork->counts.anon_vma_alloc, 0u);
  ASSERT_EQ(fork->fork_reuse.size(), 2u);
  const ForkReuse& root = fork->fork_reuse[0];
  EXPECT_EQ(root.anon_vma, 1u);
  EXPECT_EQ(root.vma_start, 4u);
  EXPECT_EQ(root.seen.num_children, 2);
  EXPECT_EQ(root.seen.num_active_vmas, 0);
  EXPECT_FALSE(root.reused);
  const ForkReuse& y1 = fork->fork_reuse[1];
  EXPECT_EQ(y1.anon_vma, 2u);
  EXPECT_EQ(y1.seen.num_children, 1);
  EXPECT_EQ(y1.seen.num_active_vmas, 0);
  EXPECT_FALSE(y1.seen.is_pvma_anon_vma) << "G2's VMA uses Y2";
  EXPECT_TRUE(y1.reused);
  // Only forks ask.
  Simulation again(script, {});
  while (!again.done()) {
    auto rec = again.step();
    ASSERT_TRUE(rec.ok());
    if (rec->text.find(" fork ") == std::string::npos) {
      EXPECT_TRUE(rec->fork_reuse.empty()) << rec->text;
    }
  }
}

TEST(Simulation, RunScriptHandsEachRecordOverAsItIsMade) {
  const Script script = parse("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\nC exit\nP exit\n");
  std::vector<int> lines;
  auto summary = run_script(script, {}, [&](const OpRecord& op) { lines.push_back(op.line); });
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(lines, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(summary->ops, 6u);
  EXPECT_EQ(summary->total.anon_vma_alloc, summary->total.anon_vma_free);
  ASSERT_EQ(summary->call_sites.size(), 5u);
  EXPECT_EQ(summary->call_sites.front().first, CallSite::anon_vma_prepare) << "first seen first";
}

TEST(Simulation, AWindowLayoutListsOnlyWhatTheOperationCouldChange) {
  const Script script =
      parse("spawn P\nP mmap 0 4\nP mmap 10 4 r\nP mmap 20 4\nP mprotect 11 1 rw\nP fork C\n");
  RunOptions o;
  o.layouts = Layouts::window;
  Simulation sim(script, o);
  step_to(sim, 4);
  auto split = sim.step();  // pages 10..12 and a page either side: the r VMA, now three
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split->layout.size(), 1u);
  ASSERT_EQ(split->layout[0].vmas.size(), 3u);
  EXPECT_EQ(split->layout[0].vmas[0].start, 10u);
  EXPECT_EQ(split->layout[0].vmas[2].end, 14u);
  auto fork = sim.step();  // a fork: both processes, whole
  ASSERT_TRUE(fork.ok());
  ASSERT_EQ(fork->layout.size(), 2u);
  EXPECT_EQ(fork->layout[0].vmas.size(), 5u);
  EXPECT_EQ(fork->layout[1].name, "C");
  EXPECT_EQ(fork->layout[1].vmas.size(), 5u);
}

TEST(Simulation, OnFaultKillEndsTheProcessAndSkipsItsLaterOperations) {
  const Script script = parse("spawn P\nP mmap 0 4 r\nP write 0\nP read 1\n");
  RunOptions o;
  o.on_fault = OnFault::kill;
  Simulation sim(script, o);
  std::vector<std::string> results;
  while (!sim.done()) results.push_back(sim.step()->result);
  EXPECT_EQ(results, (std::vector<std::string>{"ok", "ok", "killed", "skipped"}));
  EXPECT_FALSE(State(sim).alive(0));
  EXPECT_EQ(sim.summary().killed, 1u);
  EXPECT_EQ(sim.summary().skipped, 1u);
  // The same script is a script error by default.
  Simulation strict(script, {});
  step_to(strict, 2);
  auto r = strict.step();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("t.rml:3:", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace rmaplab
