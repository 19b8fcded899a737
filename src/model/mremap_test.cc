// Scenarios for mremap (mremap.cc: move, grow and shrink in place, the
// multi-VMA move, merges at the destination, and the error checks).
//
// The workload language's `P mremap A N B M` resizes in place when B == A
// (flags 0) and otherwise moves with MREMAP_MAYMOVE|MREMAP_FIXED.
//
// Each test builds a state, applies one operation and asserts every
// observable (testing/scenario.h explains the notation). Expected values come
// from Linux 6.18.44 measured with the field-guide harness: "§11 row N" is a
// row of shared/docs/kernel-field-guide.md §11, "C.rml L4" a line of a script
// in shared/docs/kernel-field-guide-tests/ (run with run.py -v, whose trace
// gives the event order and, through slab pointers, which AVC each free is
// about). The pgoff a moved VMA gets is §6.5 (the kernel's /proc maps prints
// 0 for anonymous VMAs).
//
// Pictures: a ruler of arena pages; each VMA's pages carry the model id of
// its anon_vma ('-' unfaulted); '|' separates VMAs that touch.
#include <gtest/gtest.h>

#include <cerrno>

#include "model/syscalls.h"
#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

// ---------------------------------------------------------------------------
// Moves

// copy_vma clones the chain at the destination (+k), the page tables move,
// then the source is unmapped (-k). The VMA keeps its pgoff (A+0), because
// its folios' index depends on it.
//
//   page  0       100
//   P     1111111            before
//   P             11111111   after: [100,108) pgoff A+0
TEST(MremapMove, WholeFaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P mremap 0 8 100 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 43, C.rml L4
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas"}));  // C.rml L4 trace
  // kernel: C.rml L5 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[100-108) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=1 tree=P[100-108)"});
  EXPECT_EQ(s.page("P", 0), "-");
  EXPECT_EQ(s.pages("P", 100, 2), (Lines{"f1 mapping=a1 index=A+0 mapcount=1 excl=1",
                                         "f2 mapping=a1 index=A+1 mapcount=1 excl=1"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=8");
}

// An unfaulted VMA takes the destination's pgoff (A+4) and so merges there.
//
//   page  0123456789abcd
//   P     ----      ----     [0,4) | [10,14)
//   P     --------           [0,8) pgoff A+0
TEST(MremapMove, UnfaultedVmaTakesTheDestinationPgoffAndMerges) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0 8\n"
      "P mremap 0 8 100 8\n"
      "P mmap 0 4\n"
      "P mmap 10 4");  // C.rml L2-L7

  Step st = s.op("P mremap 10 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 45, C.rml L8
  EXPECT_EQ(st.events, Lines{});
  // kernel: C.rml L9 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[100-108) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=2 folio=8");
}

// A middle part: the copy (+1), two splits of the source (+2), the original
// VMA object unlinked (-1). Its tree now sorts by pgoff, not by address.
//
//   page  100     200
//   P     11111111           before
//   P     11  1111 11        after: [200,202) pgoff A+2
TEST(MremapMove, MiddlePart) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0 8\n"
      "P mremap 0 8 100 8\n"
      "P mmap 0 4\n"
      "P mmap 10 4\n"
      "P mremap 10 4 4 4\n"
      "P munmap 0 8");  // C.rml L2-L10

  Step st = s.op("P mremap 102 2 200 2");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 3, 1}));  // kernel: §11 row 44, C.rml L11
  // kernel: C.rml L11 trace: three clones, then L4's clone (the original) freed.
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "+c4 anon_vma_clone", "+c5 anon_vma_clone",
                              "-c2 unlink_anon_vmas"}));
  // kernel: C.rml L12 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[100-102) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c4:a1",
                                "[104-108) rw-p pgoff=A+4 flags=ac anon_vma=a1 chain=c5:a1",
                                "[200-202) rw-p pgoff=A+2 flags=ac anon_vma=a1 chain=c3:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=3 "
                                 "tree=P[100-102),P[200-202),P[104-108)"});
  EXPECT_EQ(s.pages("P", 200, 2), (Lines{"f3 mapping=a1 index=A+2 mapcount=1 excl=1",
                                         "f4 mapping=a1 index=A+3 mapcount=1 excl=1"}));
  EXPECT_EQ(s.page("P", 102), "-");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=3 vma=3 folio=8");
}

// Move and grow right next to its own source: pgoff A+2 at page 202 is not
// linear with the source (A+2 at page 200), so no merge.
//
//   page  200
//   P     11                 before
//   P       1111             after: [202,206) pgoff A+2
TEST(MremapMove, MoveAndGrowNextToItsOwnSourceDoesNotMerge) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0 8\n"
      "P mremap 0 8 100 8\n"
      "P mmap 0 4\n"
      "P mmap 10 4\n"
      "P mremap 10 4 4 4\n"
      "P munmap 0 8\n"
      "P mremap 102 2 200 2");  // C.rml L2-L11

  Step st = s.op("P mremap 200 2 202 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: C.rml L13
  // kernel: C.rml L13 trace frees L11's first clone ([200,202)'s AVC).
  EXPECT_EQ(st.events, (Lines{"+c6 anon_vma_clone", "-c3 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[100-102) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c4:a1",
                                "[104-108) rw-p pgoff=A+4 flags=ac anon_vma=a1 chain=c5:a1",
                                "[202-206) rw-p pgoff=A+2 flags=ac anon_vma=a1 chain=c6:a1"}));
  EXPECT_EQ(s.pages("P", 200, 6), (Lines{"-", "-", "f3 mapping=a1 index=A+2 mapcount=1 excl=1",
                                         "f4 mapping=a1 index=A+3 mapcount=1 excl=1", "-", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=3 vma=3 folio=8");
}

// Moved back next to an unfaulted prev whose pgoff lines up: case 1 merge,
// prev gets dup_anon_vma from the source (copied_from), the source goes.
//
//   page  0123      20
//   P     ----      1111     [0,4) unfaulted pgoff A+0 | [20,24) pgoff A+4
//   P     11111111           [0,8)
TEST(MremapMove, BackNextToAnUnfaultedPrevDupsTheAnonVma) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P mprotect 0 4 r\n"
      "P write 4\n"
      "P mremap 4 4 20 4\n"
      "P mprotect 0 4 rw");  // C2.rml L2-L7
  ASSERT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[20-24) rw-p pgoff=A+4 flags=ac anon_vma=a1 chain=c2:a1"}));

  Step st = s.op("P mremap 20 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 48, C2.rml L9
  // kernel: C2.rml L9 trace: the dup clone, then L6's clone (the source) freed.
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "-c2 unlink_anon_vmas"}));
  // kernel: C2.rml L10 maps, L11 pfn.py (only p4 mapped).
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1"});
  EXPECT_EQ(s.pages("P", 3, 3), (Lines{"-", "f1 mapping=a1 index=A+4 mapcount=1 excl=1", "-"}));
  // §12.4: the anon_vma survives the source's unlink.
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// The same move between an unfaulted prev and an unfaulted next: three VMAs
// become one; only prev needs the dup.
//
//   page  0123456789ab      20
//   P     ----    ----      1111
//   P     111111111111
TEST(MremapMove, BetweenUnfaultedPrevAndNextMergesAllThree) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P mprotect 0 4 r\n"
      "P write 4\n"
      "P mremap 4 4 20 4\n"
      "P mprotect 0 4 rw\n"
      "P fork C\n"
      "C mremap 20 4 4 4\n"
      "C exit\n"
      "P mmap 8 4");  // C3.rml L2-L11

  Step st = s.op("P mremap 20 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 49, C3.rml L12
  // kernel: C3.rml L12 trace frees L5's clone (the source's AVC).
  EXPECT_EQ(st.events, (Lines{"+c7 anon_vma_clone", "-c2 unlink_anon_vmas"}));
  // kernel: C3.rml L13 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c7:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  // The fork cleared PG_anon_exclusive and P has not written since (§3.3).
  EXPECT_EQ(s.page("P", 4), "f1 mapping=a1 index=A+4 mapcount=1 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// In the fork child the moved VMA is a fork child: case 1 is refused
// (copied_from is a fork child), so it is a plain copy of its 2-long chain.
//
//   page  0123      20
//   C     ----      2222     chain [a2, a1]
//   C     ----|2222
TEST(MremapMove, ForkChildSourceIsNotMergedIntoAnUnfaultedPrev) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P mprotect 0 4 r\n"
      "P write 4\n"
      "P mremap 4 4 20 4\n"
      "P mprotect 0 4 rw\n"
      "P fork C");  // C3.rml L2-L7

  Step st = s.op("C mremap 20 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 2}));  // kernel: §11 row 50, C3.rml L8
  // kernel: C3.rml L8 trace: two clones, then C's fork AVCs (own, then clone).
  EXPECT_EQ(st.events, (Lines{"+c5 anon_vma_clone", "+c6 anon_vma_clone", "-c4 unlink_anon_vmas",
                              "-c3 unlink_anon_vmas"}));
  // kernel: C3.rml L9 maps; C3.rml L10 (C exit) frees L8's first clone in
  // pass 1, so it is a1's.
  EXPECT_EQ(s.maps("C"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=a2 chain=c6:a2,c5:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[20-24),C[4-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[4-8)"}));
  EXPECT_EQ(s.page("C", 4), "f1 mapping=a1 index=A+4 mapcount=2 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=4 folio=1");
}

// Part moved away (copy +1, split +1, original -1) ...
//
//   page  01234567  100
//   P     11111111           before
//   P     1111      1111     after: [100,104) pgoff A+4
TEST(MremapMove, PartAwayFromTheVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P mremap 4 4 100 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 1}));  // kernel: §11 row 51, C2.rml L15
  // kernel: C2.rml L15 trace frees L14's AVC (the original).
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone", "-c1 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1",
                                "[100-104) rw-p pgoff=A+4 flags=ac anon_vma=a1 chain=c2:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[0-4),P[100-104)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=8");
}

// ... and back next to the prev with the same anon_vma: case 3, prev grows,
// only the source's AVC goes.
//
//   P     11111111           [0,8) again
TEST(MremapMove, BackNextToThePrevWithTheSameAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP mremap 4 4 100 4");

  Step st = s.op("P mremap 100 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 1}));  // kernel: §11 row 51, C2.rml L16
  // kernel: C2.rml L16 frees L15's first clone ([100,104)'s AVC).
  EXPECT_EQ(st.events, Lines{"-c2 unlink_anon_vmas"});
  // kernel: C2.rml L17 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)"});
  EXPECT_EQ(s.pages("P", 4, 1), Lines{"f5 mapping=a1 index=A+4 mapcount=1 excl=1"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=8");
}

// The same away-and-back in a fork child (k = 2): every clone copies both
// AVCs, and case 3 (same anon_vma) lets the fork child merge back.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 8 / 3 P write 0 8 / 4 P fork C
//   5 C mremap 4 4 100 4 (0 0 4 2: copy a1, a2; split a1, a2; then C's fork
//     AVCs, own first) / 6 maps: [0-4) [100-104)
//   7 C mremap 100 4 4 4 (0 0 0 2: L5's 2nd then 1st alloc) / 8 maps: [0-8)
//   9 C exit frees L5's 3rd alloc in pass 1, then a2 and L5's 4th.
//
//   page  01234567  100
//   C     22222222           chain [a2, a1]
//   C     2222      2222     after the move away
TEST(MremapMove, ForkChildPartAway) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C");

  Step st = s.op("C mremap 4 4 100 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 4, 2}));  // kernel: measured above, L5
  EXPECT_EQ(st.events,
            (Lines{"+c4 anon_vma_clone", "+c5 anon_vma_clone", "+c6 anon_vma_clone",
                   "+c7 anon_vma_clone", "-c3 unlink_anon_vmas", "-c2 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("C"),
            (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c7:a2,c6:a1",
                   "[100-104) rw-p pgoff=A+4 flags=ac anon_vma=a2 chain=c5:a2,c4:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),C[0-4),C[100-104)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=2 "
                   "tree=C[0-4),C[100-104)"}));
  EXPECT_EQ(s.page("C", 100), "f5 mapping=a1 index=A+4 mapcount=2 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=5 vma=3 folio=8");
}

TEST(MremapMove, ForkChildPartBackMergesWithItsOwnPiece) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC mremap 4 4 100 4");

  Step st = s.op("C mremap 100 4 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 2}));  // kernel: measured above, L7
  EXPECT_EQ(st.events, (Lines{"-c5 unlink_anon_vmas", "-c4 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c7:a2,c6:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),C[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[0-8)"}));
  EXPECT_EQ(s.page("C", 4), "f5 mapping=a1 index=A+4 mapcount=2 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=8");
}

// Shrink and move: the shrink comes first (a munmap of the tail: split +1,
// original -1), then the copy (+1) and the unmap of the shrunk source (-1).
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 20 4 / 3 P write 20 4
//   4 P mremap 20 4 40 2 (0 0 2 2: alloc, free L3's AVC, alloc, free the
//     first alloc) / 5 maps: [40-42)rw-p
//
//   page  20  24      40
//   P     1111
//   P                 11     pgoff A+20
TEST(MremapMove, ShrinkAndMoveOfAFaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 20 4\nP write 20 4");

  Step st = s.op("P mremap 20 4 40 2");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 2}));  // kernel: measured above, L4
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas", "+c3 anon_vma_clone",
                              "-c2 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), Lines{"[40-42) rw-p pgoff=A+20 flags=ac anon_vma=a1 chain=c3:a1"});
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=1 tree=P[40-42)"});
  EXPECT_EQ(s.pages("P", 40, 3), (Lines{"f1 mapping=a1 index=A+20 mapcount=1 excl=1",
                                        "f2 mapping=a1 index=A+21 mapcount=1 excl=1", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=2");
}

// MREMAP_FIXED onto a faulted VMA: the destination is unmapped first (its
// anon_vma freed), then the copy, then the source.
//
//   page  0123    100
//   P     1111    2222
//   P             1111
TEST(MremapMove, FixedOverAnExistingVmaFreesTheDestinationFirst) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP mmap 100 4\nP write 100 4");

  Step st = s.op("P mremap 0 4 100 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 1, 1, 2}));  // kernel: §11 row 53, J.rml L6
  // kernel: J.rml L6 trace "Fav Favc Aavc Favc".
  EXPECT_EQ(st.events, (Lines{"-a2 __put_anon_vma", "-c2 unlink_anon_vmas", "+c3 anon_vma_clone",
                              "-c1 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), Lines{"[100-104) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1"});
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=1 tree=P[100-104)"});
  EXPECT_EQ(s.page("P", 100), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// A same-length FIXED move of a range holding two VMAs and a hole moves each
// VMA and keeps the gap; the unfaulted one takes its new pgoff.
//
//   page  0123456789      100
//   P     1111  ----
//   P                     1111  ----
TEST(MremapMove, MultiVmaMoveKeepsTheGap) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP mmap 6 4 r");

  Step st = s.op("P mremap 0 10 100 10");

  EXPECT_EQ(st.result, "ok");                  // kernel: §11 row 57, C.rml L31
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: C.rml L31
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas"}));
  // kernel: C.rml L32 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[100-104) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[106-110) r--p pgoff=A+106 flags=- anon_vma=- chain=-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=2 folio=4");
}

// Move and grow (old_len < new_len) of a whole faulted VMA: a copy of the
// new length, then the source.
TEST(MremapMove, MoveAndGrow) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP mmap 6 4 r\nP mremap 0 10 100 10");  // C.rml L28-L31

  Step st = s.op("P mremap 100 4 300 6");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: C.rml L35
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "-c2 unlink_anon_vmas"}));
  // kernel: C.rml L36 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[106-110) r--p pgoff=A+106 flags=- anon_vma=- chain=-",
                                "[300-306) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1"}));
  EXPECT_EQ(s.pages("P", 303, 2), (Lines{"f4 mapping=a1 index=A+3 mapcount=1 excl=1", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=2 folio=4");
}

// ---------------------------------------------------------------------------
// In place (flags 0)

TEST(MremapInPlace, GrowCostsNothing) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P mremap 0 8 0 12");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 46, C.rml L17
  // kernel: C.rml L18 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=8");
}

// A shrink is a munmap of the tail: the new lower piece is cloned, the
// original VMA object (now the tail) is unlinked.
TEST(MremapInPlace, ShrinkUnmapsTheTail) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP mremap 0 8 0 12");

  Step st = s.op("P mremap 0 12 0 6");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 47, C.rml L19
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas"}));  // C.rml L19 trace
  // kernel: C.rml L20 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.pages("P", 5, 2), (Lines{"f6 mapping=a1 index=A+5 mapcount=1 excl=1", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=6");
}

// Growing in place into the gap before an unfaulted next VMA absorbs it
// (vma_merge_extend with prev = the VMA being grown).
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 4 / 3 P write 0 / 4 P mmap 8 4
//   5 P mremap 0 4 0 8 (0 0 0 0) / 6 maps: [0-12)rw-p
//
//   page  0123456789ab
//   P     1111    ----
//   P     111111111111
TEST(MremapInPlace, GrowAbsorbsAnUnfaultedNext) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0\nP mmap 8 4");

  Step st = s.op("P mremap 0 4 0 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: measured above, L5
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// An unfaulted VMA grown up to a faulted next: the grown VMA gets
// dup_anon_vma from next (+1), next is deleted (-1, its original AVC).
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 4 / 3 P mmap 8 4 / 4 P write 8
//   5 P mremap 0 4 0 8 (0 0 1 1: a clone, then the free of L4's AVC)
//   6 maps: [0-12)rw-p
//
//   page  0123456789ab
//   P     ----    1111
//   P     111111111111
TEST(MremapInPlace, GrowIntoAFaultedNextDupsItsAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 8 4\nP write 8");

  Step st = s.op("P mremap 0 4 0 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: measured above, L5
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  EXPECT_EQ(s.page("P", 8), "f1 mapping=a1 index=A+8 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// A fork child may grow into an unfaulted next: vma_merge_extend has no
// middle and no copied_from, so case 1's fork-child test does not apply, and
// next is deleted rather than given the child's anon_vma.
//
// kernel: measured with the field-guide harness:
//   1 spawn R / 2 R mmap 0 4 / 3 R write 0 / 4 R fork S / 5 S mmap 8 4
//   6 S mremap 0 4 0 8 (0 0 0 0) / 7 maps of S: [0-12)rw-p
//
//   page  0123456789ab
//   S     2222    ----     chain [a2, a1]
//   S     222222222222
TEST(MremapInPlace, ForkChildGrowAbsorbsAnUnfaultedNext) {
  Scenario s;
  s.setup("spawn R\nR mmap 0 4\nR write 0\nR fork S\nS mmap 8 4");

  Step st = s.op("S mremap 0 4 0 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: measured above, L6
  EXPECT_EQ(s.maps("S"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=R[0-4),S[0-12)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=S[0-12)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=1");
}

// C.rml L15-L21: [0,6) faulted, [6,8) r unfaulted.
constexpr const char* kTwoVmas =
    "spawn P\nP mmap 0 8\nP write 0 8\nP mremap 0 8 0 12\nP mremap 0 12 0 6\nP mmap 6 2 r";
const Lines kTwoVmasMaps{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                         "[6-8) r--p pgoff=A+6 flags=- anon_vma=- chain=-"};

TEST(MremapInPlace, GrowWithoutRoomIsENOMEM) {
  Scenario s;
  s.setup(kTwoVmas);

  Step st = s.op("P mremap 0 6 0 10");

  EXPECT_EQ(st.result, "ENOMEM");  // kernel: C.rml L22
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kTwoVmasMaps);
}

TEST(MremapInPlace, GrowAcrossTwoVmasIsEFAULT) {
  Scenario s;
  s.setup(kTwoVmas);

  Step st = s.op("P mremap 0 8 0 12");

  EXPECT_EQ(st.result, "EFAULT");  // kernel: C.rml L23
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kTwoVmasMaps);
}

TEST(MremapInPlace, SameSizeAcrossTwoVmasIsANoOp) {
  Scenario s;
  s.setup(kTwoVmas);

  Step st = s.op("P mremap 0 8 0 8");

  EXPECT_EQ(st.result, "ok");  // kernel: §11 row 55, C.rml L24
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kTwoVmasMaps);
}

// The unmapped tail [4,8) spans both VMAs: [0,6) is split (+1, its original
// unlinked -1) and [6,8) is unmapped whole (unfaulted: nothing).
//
//   page  01234567
//   P     111111|--
//   P     1111
TEST(MremapInPlace, ShrinkAcrossAVmaBoundary) {
  Scenario s;
  s.setup(kTwoVmas);

  Step st = s.op("P mremap 0 8 0 4");

  EXPECT_EQ(st.result, "ok");                  // kernel: §11 row 56, C.rml L25
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: C.rml L25
  // kernel: C.rml L25 trace frees L19's clone.
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "-c2 unlink_anon_vmas"}));
  // kernel: C.rml L26 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-4)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// ---------------------------------------------------------------------------
// Errors: nothing changes (§11 row 54)

// C.rml L28-L31 then the two error lines.
constexpr const char* kMovedPair =
    "spawn P\nP mmap 0 4\nP write 0 4\nP mmap 6 4 r\nP mremap 0 10 100 10";
const Lines kMovedPairMaps{"[100-104) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                           "[106-110) r--p pgoff=A+106 flags=- anon_vma=- chain=-"};

TEST(MremapErrors, GapAtTheStartOfAMoveIsEFAULT) {
  Scenario s;
  s.setup(kMovedPair);

  Step st = s.op("P mremap 99 4 200 4");

  EXPECT_EQ(st.result, "EFAULT");  // kernel: §11 row 54, C.rml L33
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kMovedPairMaps);
}

TEST(MremapErrors, OverlappingSourceAndDestinationIsEINVAL) {
  Scenario s;
  s.setup(kMovedPair);

  Step st = s.op("P mremap 100 4 102 4");

  EXPECT_EQ(st.result, "EINVAL");  // kernel: §11 row 54, C.rml L34
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kMovedPairMaps);
}

// L.rml L2-L5: a shared mapping (VM_DONTCOPY) and a private [20,24).
constexpr const char* kLSetup = "spawn P\nP mmap 0 8 shared\nP madvise 0 8 dontfork\nP mmap 20 4";
const Lines kLMaps{"[0-8) rw-s pgoff=0 flags=dc anon_vma=- chain=-",
                   "[20-24) rw-p pgoff=A+20 flags=ac anon_vma=- chain=-"};

TEST(MremapErrors, UnmappedSourceIsEFAULT) {
  Scenario s;
  s.setup(kLSetup);

  Step st = s.op("P mremap 30 4 40 4");

  EXPECT_EQ(st.result, "EFAULT");  // kernel: L.rml L6
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), kLMaps);
}

TEST(MremapErrors, GrowingMoveOverlappingTheSourceIsEINVAL) {
  Scenario s;
  s.setup(kLSetup);

  Step st = s.op("P mremap 20 4 22 6");

  EXPECT_EQ(st.result, "EINVAL");  // kernel: L.rml L7
  EXPECT_EQ(s.maps("P"), kLMaps);
}

TEST(MremapErrors, InPlaceGrowNotReachingTheVmaEndIsENOMEM) {
  Scenario s;
  s.setup(kLSetup);

  Step st = s.op("P mremap 21 2 21 6");

  EXPECT_EQ(st.result, "ENOMEM");  // kernel: L.rml L11
  EXPECT_EQ(s.maps("P"), kLMaps);
}

TEST(MremapErrors, ShrinkingMoveOverlappingTheSourceIsEINVAL) {
  Scenario s;
  s.setup(kLSetup);

  Step st = s.op("P mremap 20 4 21 2");

  EXPECT_EQ(st.result, "EINVAL");  // kernel: L.rml L13
  EXPECT_EQ(s.maps("P"), kLMaps);
}

// Not an error, for contrast: shrink and move of an unfaulted VMA.
TEST(MremapErrors, ShrinkingMoveSucceeds) {
  Scenario s;
  s.setup(kLSetup);

  Step st = s.op("P mremap 20 4 40 2");

  EXPECT_EQ(st.result, "ok");  // kernel: L.rml L14
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  // kernel: L.rml L15 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-8) rw-s pgoff=0 flags=dc anon_vma=- chain=-",
                                "[40-42) rw-p pgoff=A+40 flags=ac anon_vma=- chain=-"}));
}

// Zero lengths cannot be written in the workload language (counts are at
// least 1), but do_mremap is the model's system call: the kernel rejects them
// in check_mremap_params before touching anything (§7 step 1, §11 row 54).
TEST(MremapErrors, ZeroLengthsAreEINVAL) {
  struct Case {
    std::uint32_t addr, old_pages, new_addr, new_pages;
    const char* kernel;
  };
  for (const Case& c : {Case{20, 0, 40, 4, "L.rml L8"}, Case{20, 4, 40, 0, "L.rml L9"},
                        Case{20, 4, 20, 0, "L.rml L10"}}) {
    Scenario s;
    s.setup(kLSetup);
    EXPECT_EQ(do_mremap(s.machine(), *s.mm("P"), c.addr, c.old_pages, c.new_addr, c.new_pages),
              -EINVAL)
        << c.kernel;
    EXPECT_EQ(s.maps("P"), kLMaps) << c.kernel;
    EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=0") << c.kernel;
  }
}

}  // namespace
}  // namespace rmaplab::model::testing
