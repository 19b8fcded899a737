// Allocation-failure sweeps: every allocation point of every example unwinds
// as 6.18 does, and the sweep notices a point that does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "rmaplab/fuzz.h"
#include "rmaplab/profile.h"
#include "rmaplab/run.h"

namespace rmaplab {
namespace {

Script parse(const std::string& text) {
  auto s = parse_script(text, "t.rml");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.value();
}

TEST(FailEach, FirstFaultFailsEitherAllocation) {
  // One write: __anon_vma_prepare allocates an AVC, then a root anon_vma.
  auto r = fail_each(parse("spawn P\nP mmap 0 8\nP write 0\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->allocations, 2u);
  for (const FailPoint& p : r->points) {
    EXPECT_EQ(p.line, 3);
    EXPECT_EQ(p.result, "OOM");
    EXPECT_FALSE(p.problem) << *p.problem;
  }
  EXPECT_TRUE(r->passed());
}

TEST(FailEach, FailedForkLeavesNoChildAndSkipsItsOperations) {
  // P's faulted VMA: fork clones one AVC, then allocates an anon_vma and its AVC.
  auto r = fail_each(parse("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC write 1\nC exit\n"));
  ASSERT_TRUE(r.ok());
  // C's write needs nothing new: its VMA has its anon_vma from the fork.
  ASSERT_EQ(r->allocations, 2u + 3u);
  for (const FailPoint& p : r->points) {
    EXPECT_FALSE(p.problem) << p.k << ": " << *p.problem;
    if (p.line == 4) {
      EXPECT_EQ(p.result, "ENOMEM");
      EXPECT_EQ(p.skipped, 2) << "C's write and exit";
    }
  }
}

// Found by `rmaplab fuzz` (seed 1243, shrunk from 87 lines): a one-page move
// whose source unmap cannot split the source VMA. unmap_source_vma ignores
// that OOM, so the VMA is still there; the move loop used to find it again
// and move it a second time to an address computed from a negative gap,
// leaving a VMA [4294967295,0). The kernel's iterator resumes after the VMA
// as it was found.
TEST(FailEach, MoveWhoseSourceCannotSplitIsMovedOnce) {
  auto r = fail_each(parse("spawn P\nP mmap 11 8\nP write 11\nP mremap 11 1 6 1\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->allocations, 4u);  // prepare: AVC, root; move: clone's AVC, split's AVC
  const FailPoint& split = r->points[3];
  EXPECT_EQ(split.line, 4);
  EXPECT_EQ(split.result, "ok") << "the move is done; only the source's unmap failed";
  for (const FailPoint& p : r->points) EXPECT_FALSE(p.problem) << p.k << ": " << *p.problem;
}

// Found by `rmaplab fuzz` (shrunk). The move of [8,10) to 10 first unmaps
// [10,12), then copy_vma's merge joins [7,10), the new range and the
// faulted [12,13) into one VMA [7,13) (dup_anon_vma: AVC 2; the absorbed
// VMA's AVC 1 freed), which now holds the source. Unmapping the source splits
// [7,13) twice (AVCs 3 and 4). When the first split fails, unmap_source_vma
// ignores the OOM; remap_move's iterator, resuming at page 11 (the end of
// the VMA it first found), finds [7,13) again, computes the destination
// from the gap between the two (7 - 11 pages: page 8, the source itself),
// and mremap_to unmaps it, then finds no VMA at 8: EFAULT (mm/mremap.c,
// remap_move and mremap_to).
TEST(FailEach, MoveMergedIntoItsDestinationIsFoundAgainAndFaults) {
  auto r = fail_each(parse("spawn P\nP mmap 7 6\nP mmap 11 1 r\nP write 12\nP mremap 8 2 10 2\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->allocations, 5u);  // prepare: AVC, root; move: merge's AVC, two splits' AVCs
  EXPECT_EQ(r->points[2].result, "ok") << "the merge failed: a new VMA instead";
  EXPECT_EQ(r->points[3].result, "EFAULT");
  EXPECT_EQ(r->points[4].result, "ok") << "the second split failed: the move is done";
  for (const FailPoint& p : r->points) EXPECT_FALSE(p.problem) << p.k << ": " << *p.problem;
}

// `rmaplab run --fail-alloc K` used to crash when allocation K failed a fork
// and the script went on to use the child: the child's operations now
// report ESRCH (no such process).
TEST(FailEach, RunWithAFailedForkReportsTheChildsOperationsAsESRCH) {
  const Script s = parse("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC write 1\nC fork D\nD exit\n");
  RunOptions ro;
  ro.check = true;
  ro.fail_alloc = 3;  // the fork's first AVC
  auto r = run_script(s, ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->ops.size(), 7u);
  EXPECT_EQ(r->ops[3].result, "ENOMEM");
  for (std::size_t i = 4; i < 7; ++i) EXPECT_EQ(r->ops[i].result, "ESRCH") << r->ops[i].text;
  EXPECT_FALSE(r->violation);
}

TEST(FailEach, EveryExamplePasses) {
  int points = 0;
  for (const auto& e : std::filesystem::directory_iterator(RMAPLAB_SOURCE_DIR "/examples")) {
    if (e.path().extension() != ".rml") continue;
    auto s = load_script(e.path().string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto r = fail_each(*s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const FailPoint& p : r->points)
      EXPECT_FALSE(p.problem) << e.path().filename() << " allocation " << p.k << ": " << *p.problem;
    points += static_cast<int>(r->points.size());
  }
  EXPECT_GT(points, 100);
}

// The sweep finds the ENOMEM defects of two profiles (src/profile):
// rfc-v1's fork unwinds (designs-2026.md §3.2: Liam Howlett's review) and
// linux-7.0-pre-fix's stale vma->anon_vma after a failed merge clone (§4.2).
TEST(FailEach, FindsRfcV1sForkUnwindLeaks) {
  // examples/04: G0 fork G1 (allocations 3-5), G1 fork G2 (6-9), G1 exit,
  // G2 fork G3 (10-12) reuses G1's anon_vma at its second clone AVC.
  const std::string s =
      "spawn G0\nG0 mmap 0 8\nG0 write 0 8\nG0 fork G1\nG0 exit\n"
      "G1 fork G2\nG1 exit\nG2 fork G3\n";
  auto clean = fail_each(parse(s));
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->passed());
  auto r = fail_each(parse(s), &model::rfc_v1());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->allocations, 12u);
  std::map<std::uint64_t, std::string> failed;
  for (const FailPoint& p : r->points)
    if (p.problem) failed[p.k] = *p.problem;
  // 5: the first fork's own AVC: the put frees the root it never pinned.
  // 9: the second fork's own AVC: its parent keeps num_children.
  // 12: after the reuse attached G3's VMA, the last clone AVC: the count stays.
  ASSERT_EQ(failed.size(), 3u) << ::testing::PrintToString(failed);
  EXPECT_NE(failed[5].find("anon_vma freed while in use"), std::string::npos) << failed[5];
  EXPECT_NE(failed[9].find("I7 num_children"), std::string::npos) << failed[9];
  EXPECT_NE(failed[12].find("I6 num_active_vmas"), std::string::npos) << failed[12];
}

TEST(FailEach, FindsTheStaleAnonVmaBeforeTheMarch2026Fix) {
  // examples/18-mmap-merge.rml: the unfaulted [60,64) absorbing faulted
  // [64,68) by dup_anon_vma is where the fix matters.
  auto s = load_script(RMAPLAB_SOURCE_DIR "/examples/18-mmap-merge.rml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto fixed = fail_each(*s, &model::linux_7_0());
  ASSERT_TRUE(fixed.ok());
  EXPECT_TRUE(fixed->passed());
  auto r = fail_each(*s, &model::linux_7_0_pre_fix());
  ASSERT_TRUE(r.ok());
  int failed = 0;
  for (const FailPoint& p : r->points) {
    if (!p.problem) continue;
    ++failed;
    EXPECT_EQ(p.op, "P mmap 64 4");
    EXPECT_NE(p.problem->find("I1 anon_vma_vs_chain"), std::string::npos) << *p.problem;
  }
  EXPECT_EQ(failed, 1);
}

}  // namespace
}  // namespace rmaplab
