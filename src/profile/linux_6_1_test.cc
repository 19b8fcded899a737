// linux-6.1's VMA rules beyond linux-6.12's, each against 6.18's on the
// same state.
//
// Expected values from 6.1's mm/mmap.c: do_mas_align_munmap (the start
// split with new_below = 0, the end split with new_below = 1: the pieces
// unmapped are the new VMAs), mmap_region's own expansion (next checked
// first with no anon_vma, then prev with next's; vma_expand), and
// mprotect_fixup (no VM_ACCOUNT refund). Each scenario is the step of an
// example that showed the rule on Debian's 6.1.176 (doc/kernels.md).
#include <gtest/gtest.h>

#include "rmaplab/profile.h"
#include "testing/scenario.h"

namespace rmaplab::model {
namespace {

using testing::Lines;
using testing::Scenario;
using testing::Step;

// examples/08-munmap.rml line 22.
//   page  0123456789abcdef
//   P     1111111111111111     a1, chain c1
//   P     111111--11111111     munmap 6 2
constexpr const char* kFaulted16 = "spawn P\nP mmap 0 16\nP write 0 16";

TEST(Linux61, MunmapFreesTheSplitOffPiece) {
  // The start split leaves the original [0,6) and makes [6,16) (c2); the end
  // split of [6,16) makes [6,8) (c3), which goes: c3 is freed.
  Scenario s(linux_6_1());
  s.setup(kFaulted16);
  Step st = s.op("P munmap 6 2");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 1}));
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone", "-c3 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c2:a1"}));
}

TEST(Linux61, Linux618FreesTheOriginal) {
  // 6.18: the new pieces are what stays ([0,6) c2, [8,16) c3); the original
  // [6,8) goes with c1.
  Scenario s(linux_6_18());
  s.setup(kFaulted16);
  Step st = s.op("P munmap 6 2");
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone", "-c1 unlink_anon_vmas"}));
}

// examples/18-mmap-merge.rml line 29: a new range between two faulted VMAs
// with different anon_vmas.
//   page  0123 4567 89ab
//   P     1111|++++|2222     [20,24) a1, [28,32) a2; mmap 24 4
constexpr const char* kBetweenTwoRoots =
    "spawn P\nP mmap 20 4\nP write 20\nP mmap 28 4\nP write 28";

TEST(Linux61, NewMappingJoinsNextFirst) {
  // next suits (a2, singular chain); prev is then asked with a2 and refuses
  // (a1 != a2): next expands down.
  Scenario s(linux_6_1());
  s.setup(kBetweenTwoRoots);
  EXPECT_EQ(s.op("P mmap 24 4").counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[20-24) rw-p pgoff=A+20 flags=ac anon_vma=a1 chain=c1:a1",
                                "[24-32) rw-p pgoff=A+24 flags=ac anon_vma=a2 chain=c2:a2"}));
  Scenario now(linux_6_18());
  now.setup(kBetweenTwoRoots);
  now.op("P mmap 24 4");
  EXPECT_EQ(now.maps("P"), (Lines{"[20-28) rw-p pgoff=A+20 flags=ac anon_vma=a1 chain=c1:a1",
                                  "[28-32) rw-p pgoff=A+28 flags=ac anon_vma=a2 chain=c2:a2"}));
}

// examples/18-mmap-merge.rml line 39: unfaulted prev, faulted next.
//   page  0123 4567 89ab
//   P     ----|++++|1111     [60,64) unfaulted, [68,72) a1; mmap 64 4
constexpr const char* kUnfaultedPrevFaultedNext = "spawn P\nP mmap 60 4\nP mmap 68 4\nP write 68";

TEST(Linux61, NewMappingBesideAnUnfaultedPrevJoinsNextAllocatingNothing) {
  // prev, asked with next's a1, has no anon_vma and an empty chain: it
  // refuses, so next grows down; no dup_anon_vma.
  Scenario s(linux_6_1());
  s.setup(kUnfaultedPrevFaultedNext);
  Step st = s.op("P mmap 64 4");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[60-64) rw-p pgoff=A+60 flags=ac anon_vma=- chain=-",
                                "[64-72) rw-p pgoff=A+64 flags=ac anon_vma=a1 chain=c1:a1"}));
  // 6.18: prev takes the range and next, with dup_anon_vma (+1), next's
  // AVC unlinked (-1).
  Scenario now(linux_6_18());
  now.setup(kUnfaultedPrevFaultedNext);
  EXPECT_EQ(now.op("P mmap 64 4").counts, (Counts{0, 0, 1, 1}));
  EXPECT_EQ(now.maps("P"), Lines{"[60-72) rw-p pgoff=A+60 flags=ac anon_vma=a1 chain=c2:a1"});
}

// examples/16-vm-account.rml lines 31-33.
constexpr const char* kReadOnlyHalf = "spawn Q\nQ mmap 0 8\nQ mprotect 4 4 r";

TEST(Linux61, MprotectKeepsVmAccountSoAReadOnlyNeighbourStaysApart) {
  Scenario s(linux_6_1());
  s.setup(kReadOnlyHalf);
  EXPECT_EQ(s.maps("Q"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-8) r--p pgoff=A+4 flags=ac anon_vma=- chain=-"}));
  s.op("Q mmap 8 4 r");
  EXPECT_EQ(s.maps("Q").size(), 3u);
  Scenario now(linux_6_18());
  now.setup(kReadOnlyHalf);
  now.op("Q mmap 8 4 r");
  EXPECT_EQ(now.maps("Q"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                  "[4-12) r--p pgoff=A+4 flags=- anon_vma=- chain=-"}));
}

}  // namespace
}  // namespace rmaplab::model
