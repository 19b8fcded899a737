// linux-6.12's two VMA rules, each against 6.18's on the same state.
//
// Expected values from 6.12's source: mm/vma.c is_mergeable_anon_vma (a
// target with no anon_vma must have a singular anon_vma_chain, which an
// empty chain is not), and mm/mremap.c (the mremap syscall's vma_lookup
// under the lock; mremap_to's overlap test, do_munmap of the destination,
// then vma_to_resize's "old_len > vma->vm_end - addr" EFAULT). The 6.18
// sides are the rules the model's kernel-verified tests already hold
// (src/model/vma_ops_test.cc, mremap_test.cc).
#include <gtest/gtest.h>

#include "rmaplab/profile.h"
#include "testing/scenario.h"

namespace rmaplab::model {
namespace {

using testing::Lines;
using testing::Scenario;
using testing::Step;

// An unfaulted VMA next to a faulted one with other flags, then the
// mprotect that makes their flags equal.
//
//   page  01234567
//   P     ----|1111     [0,4) rw unfaulted | [4,8) rwx a1
//   P     mprotect 4 2 rw
constexpr const char* kUnfaultedBesideFaulted = "spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 4";

TEST(Linux612, UnfaultedPrevDoesNotAbsorbAFaultedRange) {
  // 6.12: prev has no anon_vma and an empty chain: not mergeable, so
  // [4,8) is split at 6 (the upper piece clones a1's AVC).
  //   P     ----|11|11
  Scenario s(linux_6_12());
  s.setup(kUnfaultedBesideFaulted);
  Step st = s.op("P mprotect 4 2 rw");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));
  EXPECT_EQ(st.events, Lines{"+c2 anon_vma_clone"});
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-6) rw-p pgoff=A+4 flags=ac anon_vma=a1 chain=c1:a1",
                                "[6-8) rwxp pgoff=A+6 flags=ac anon_vma=a1 chain=c2:a1"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=3 folio=1");
}

TEST(Linux612, Linux618GivesTheUnfaultedPrevDupAnonVma) {
  // 6.18 (6.16+): the same counts, but prev gets dup_anon_vma and grows.
  //   P     111111|11
  Scenario s(linux_6_18());
  s.setup(kUnfaultedBesideFaulted);
  Step st = s.op("P mprotect 4 2 rw");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[6-8) rwxp pgoff=A+6 flags=ac anon_vma=a1 chain=c1:a1"}));
}

TEST(Linux612, FaultedPrevStillTakesAnUnfaultedRange) {
  // The other direction was allowed before 6.16 too: prev has a1 and a
  // singular chain, the range none; [4,8) joins prev, nothing allocated.
  //   page  01234567
  //   P     1111|----     [0,4) rw a1 | [4,8) rwx unfaulted
  //   P     11111111      mprotect 4 4 rw
  Scenario s(linux_6_12());
  s.setup("spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 0");
  Step st = s.op("P mprotect 4 4 rw");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
}

// Two faulted VMAs side by side (the second reused the first's anon_vma at
// its first fault: the flags differ only in access bits), and an unfaulted
// destination.
//
//   page  0123 4567 ... 100
//   P     1111|1111     [100,108) unfaulted
constexpr const char* kTwoVmasAndADestination =
    "spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 0 8\nP mmap 100 8";

TEST(Linux612, MremapOfTwoVmasUnmapsTheDestinationThenFails) {
  // 6.12: vma_lookup(0) finds [0,4), no overlap, do_munmap(100, 8), then
  // vma_to_resize: 8 pages > [0,4)'s 4 from addr: EFAULT. The destination is
  // gone; the source stays.
  Scenario s(linux_6_12());
  s.setup(kTwoVmasAndADestination);
  Step st = s.op("P mremap 0 8 100 8");
  EXPECT_EQ(st.result, "EFAULT");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[4-8) rwxp pgoff=A+4 flags=ac anon_vma=a1 chain=c2:a1"}));
}

TEST(Linux612, Linux618MovesBothVmas) {
  // 6.17+: each VMA moves, keeping its anon_vma (one clone, one unlink each).
  Scenario s(linux_6_18());
  s.setup(kTwoVmasAndADestination);
  Step st = s.op("P mremap 0 8 100 8");
  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 2}));
  EXPECT_EQ(s.mm("P")->vma_lookup(0), nullptr);
  EXPECT_NE(s.mm("P")->vma_lookup(104), nullptr);
}

TEST(Linux612, OverlappingMoveOfAnUnmappedSourceIsEfault) {
  // 6.12 looks the source up before mremap_to's overlap test: nothing at
  // page 10 is EFAULT. 6.18's check_mremap_params refuses the overlap first:
  // EINVAL.
  const char* setup = "spawn P\nP mmap 0 4";
  Scenario old(linux_6_12());
  old.setup(setup);
  EXPECT_EQ(old.op("P mremap 10 4 12 4").result, "EFAULT");
  Scenario now(linux_6_18());
  now.setup(setup);
  EXPECT_EQ(now.op("P mremap 10 4 12 4").result, "EINVAL");
}

TEST(Linux612, OverlappingMoveOfAMappedSourceIsEinvalInBoth) {
  const char* setup = "spawn P\nP mmap 0 8";
  for (const Profile* p : {&linux_6_12(), &linux_6_18()}) {
    Scenario s(*p);
    s.setup(setup);
    EXPECT_EQ(s.op("P mremap 0 4 2 4").result, "EINVAL") << p->name;
    EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"}) << p->name;
  }
}

TEST(Linux612, TheAnonVmaRulesAreLinux618s) {
  // Only the two VMA hooks differ (profile_test.cc checks the whole table):
  // a fork chain reuses exactly as 6.18 does.
  const char* script = "spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC fork D\nC exit";
  for (const Profile* p : {&linux_6_12(), &linux_6_18()}) {
    Scenario s(*p);
    s.setup(script);
    EXPECT_EQ(s.op("D fork E").counts, (Counts{0, 0, 3, 0})) << p->name;  // reuses C's
  }
}

}  // namespace
}  // namespace rmaplab::model
