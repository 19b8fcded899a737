// Scenarios for VMA split, merge and unmap (vma_ops.cc, mmap.cc, mprotect.cc,
// madvise.cc): munmap shapes, mprotect/madvise splits and merges, the three
// anon_vma merge cases of 6.18.8+, the VM_ACCOUNT trap, new-range merges of
// mmap, and MAP_FIXED over existing mappings.
//
// Each test builds a state, applies one operation and asserts every
// observable (testing/scenario.h explains the notation). Expected values come
// from Linux 6.18.44 measured with the field-guide harness: "§11 row N" is a
// row of shared/docs/kernel-field-guide.md §11, "A.rml L7" a line of a script
// in shared/docs/kernel-field-guide-tests/ (run with run.py -v, whose trace
// gives the event order and, through slab pointers, which AVC each free is
// about; maps.py gives the layout, smaps the VM_ACCOUNT bit).
//
// Pictures: a ruler of arena pages, then the VMAs drawn the kernel's way:
// each VMA's pages carry the model id of its anon_vma ('-' unfaulted), and
// '|' separates VMAs where two touch.
#include <gtest/gtest.h>

#include <string>

#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

// A.rml, the script behind most munmap/mprotect rows, without its `shell`
// lines, so a test can replay exactly the kernel's state up to a line.
std::string a_rml_up_to(int last_line) {
  static const char* const kA[] = {
      nullptr,
      "spawn P",             // L1
      "P mmap 0 16",         // L2
      "P read 0",            // L3
      nullptr,               // L4 shell
      "P write 0",           // L5
      "P write 1",           // L6
      "P munmap 4 4",        // L7
      nullptr,               // L8 shell
      "P munmap 0 1",        // L9
      "P munmap 15 1",       // L10
      nullptr,               // L11 shell
      "P mprotect 10 2 r",   // L12
      "P mprotect 10 2 rw",  // L13
      nullptr,               // L14 shell
      "P mprotect 8 2 r",    // L15
      "P mprotect 8 2 rw",   // L16
      nullptr,               // L17 shell
  };
  std::string text;
  for (int l = 1; l <= last_line; ++l)
    if (kA[l]) text += std::string(kA[l]) + "\n";
  return text;
}

// ---------------------------------------------------------------------------
// munmap (do_vmi_munmap): split the ends (+k each), detach, unlink (-k per
// detached VMA, and the anon_vmas whose trees empty).

// The middle: a new lower piece and a new upper piece are cloned; the
// ORIGINAL VMA object is the one detached, so its AVC (c1) is freed.
//
//   page  0123456789012345
//   P     1111111111111111   before
//   P     1111    11111111   after: [0,4) new (c2), [8,16) new (c3)
TEST(Munmap, MiddleClonesTwiceAndFreesTheOriginalVmasAvc) {
  Scenario s;
  s.setup(a_rml_up_to(6));

  Step st = s.op("P munmap 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 1}));  // kernel: §11 row 22, A.rml L7
  // kernel: A.rml L7 trace frees the AVC allocated at L5 (the original's).
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone", "-c1 unlink_anon_vmas"}));
  // kernel: A.rml L8 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c3:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[0-4),P[8-16)"});
  EXPECT_EQ(s.pages("P", 0, 3), (Lines{"f1 mapping=a1 index=A+0 mapcount=1 excl=1",
                                       "f2 mapping=a1 index=A+1 mapcount=1 excl=1", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=2");
}

// The head: the new upper piece is cloned, the original [0,1) is freed.
//
//   page  0123456789012345
//   P     1111    11111111   before
//   P      111    11111111   after
TEST(Munmap, HeadClonesTheRemainderAndFreesTheOriginal) {
  Scenario s;
  s.setup(a_rml_up_to(8));

  Step st = s.op("P munmap 0 1");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 23, A.rml L9
  // kernel: A.rml L9 frees the first clone of L7 (the [0,4) piece's AVC).
  EXPECT_EQ(st.events, (Lines{"+c4 anon_vma_clone", "-c2 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c3:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[1-4),P[8-16)"});
  EXPECT_EQ(s.pages("P", 0, 2),
            (Lines{"-", "f2 mapping=a1 index=A+1 mapcount=1 excl=1"}));  // f1 is freed
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

//   page  0123456789012345
//   P      111    11111111   before
//   P      111    1111111    after
TEST(Munmap, TailClonesTheRemainderAndFreesTheOriginal) {
  Scenario s;
  s.setup(a_rml_up_to(9));

  Step st = s.op("P munmap 15 1");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 23, A.rml L10
  // kernel: A.rml L10 frees the second clone of L7 (the [8,16) piece's AVC).
  EXPECT_EQ(st.events, (Lines{"+c5 anon_vma_clone", "-c3 unlink_anon_vmas"}));
  // kernel: A.rml L11 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-15) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c5:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[1-4),P[8-15)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

// One munmap over two pieces sharing a1: the first piece's AVC is freed in
// pass 1 (a1's tree still holds the second); the second piece empties the
// tree, so a1 is put and freed before its AVC.
//
//   page  0123456789012345
//   P      111    1111111    before (A.rml after L16)
//   P                        after
TEST(Munmap, TwoPiecesSharingOneAnonVma) {
  Scenario s;
  s.setup(a_rml_up_to(17));
  ASSERT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-15) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c8:a1"}));

  Step st = s.op("P munmap 0 16");

  EXPECT_EQ(st.counts, (Counts{0, 1, 0, 2}));  // kernel: §11 row 21, A.rml L18
  // kernel: A.rml L18 trace frees L9's AVC, the anon_vma, then L15's AVC.
  EXPECT_EQ(st.events,
            (Lines{"-c4 unlink_anon_vmas", "-a1 __put_anon_vma", "-c8 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), Lines{});
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

// A fork child's middle (k = 2): both splits clone both AVCs (root first),
// then the original's chain is unlinked, newest first.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 16 / 3 P write 0 16 / 4 P fork C / 5 C mmap 4 4
//   7 C munmap 12 2 (0 0 4 2: four clones, then the frees of L5's 4th and
//     3rd allocs) / 8 maps: [0-4) [4-8) [8-12) [14-16)
//
//   page  0123456789012345
//   C     2222----22222222
//   C     2222----2222  22
TEST(Munmap, MiddleOfAForkChildsVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16\nP fork C\nC mmap 4 4");

  Step st = s.op("C munmap 12 2");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 4, 2}));  // kernel: measured above, L7
  EXPECT_EQ(st.events,
            (Lines{"+c8 anon_vma_clone", "+c9 anon_vma_clone", "+c10 anon_vma_clone",
                   "+c11 anon_vma_clone", "-c7 unlink_anon_vmas", "-c6 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("C"),
            (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c5:a2,c4:a1",
                   "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=- chain=-",
                   "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c9:a2,c8:a1",
                   "[14-16) rw-p pgoff=A+14 flags=ac anon_vma=a2 chain=c11:a2,c10:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),C[0-4),C[8-12),C[14-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=3 "
                   "tree=C[0-4),C[8-12),C[14-16)"}));
  EXPECT_EQ(s.page("C", 12), "-");
  EXPECT_EQ(s.page("P", 12), "f13 mapping=a1 index=A+12 mapcount=1 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=7 vma=5 folio=16");
}

// The last user of an anon_vma: pass 1 keeps the AVC, pass 2 frees the
// anon_vma, then the AVC.
TEST(Munmap, WholeVmaOfTheLastUserFreesTheAnonVmaThenTheAvc) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0\nP mmap 8 8\nP write 12");  // A.rml L19-L22
  ASSERT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});

  Step st = s.op("P munmap 0 16");

  EXPECT_EQ(st.counts, (Counts{0, 1, 0, 1}));  // kernel: §11 row 20, A.rml L24
  EXPECT_EQ(st.events, (Lines{"-a1 __put_anon_vma", "-c1 unlink_anon_vmas"}));  // A.rml L24 trace
  EXPECT_EQ(s.maps("P"), Lines{});
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

// ---------------------------------------------------------------------------
// mprotect split and merge (vma_modify: merge first, else split the leading
// part, then the trailing part; the modified range keeps the original VMA)

//   page  0123456789012345
//   P      111    1111111    before: [8,15) is c5's VMA
//   P      111    11|11|111  after: [8,10) new (c6), [10,12) r original, [12,15) new (c7)
TEST(Mprotect, MiddleSplitsTwiceKeepingTheOriginalInTheMiddle) {
  Scenario s;
  s.setup(a_rml_up_to(11));

  Step st = s.op("P mprotect 10 2 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 0}));  // kernel: §11 row 27, A.rml L12
  EXPECT_EQ(st.events, (Lines{"+c6 anon_vma_clone", "+c7 anon_vma_clone"}));
  // The faulted VMA keeps VM_ACCOUNT when made read-only (§6.4, K.rml L7).
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-10) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c6:a1",
                                "[10-12) r--p pgoff=A+10 flags=ac anon_vma=a1 chain=c5:a1",
                                "[12-15) rw-p pgoff=A+12 flags=ac anon_vma=a1 chain=c7:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=4 tree=P[1-4),P[8-10),P[10-12),P[12-15)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=4 vma=4 folio=1");
}

// Back: prev absorbs middle and next; middle is unlinked first, then next.
// The survivor is the clone made by the first split.
TEST(Mprotect, MiddleBackMergesWithBothNeighbours) {
  Scenario s;
  s.setup(a_rml_up_to(12));

  Step st = s.op("P mprotect 10 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 2}));  // kernel: §11 row 27, A.rml L13
  // kernel: A.rml L13 trace frees L10's AVC (middle) then L12's second clone (next).
  EXPECT_EQ(st.events, (Lines{"-c5 unlink_anon_vmas", "-c7 unlink_anon_vmas"}));
  // kernel: A.rml L14 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-15) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c6:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[1-4),P[8-15)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

//   P      111    11|11111   [8,10) r keeps the original (c6), [10,15) new (c8)
TEST(Mprotect, HeadSplitsOnce) {
  Scenario s;
  s.setup(a_rml_up_to(14));

  Step st = s.op("P mprotect 8 2 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));  // kernel: §11 row 29, A.rml L15
  EXPECT_EQ(st.events, Lines{"+c8 anon_vma_clone"});
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-10) r--p pgoff=A+8 flags=ac anon_vma=a1 chain=c6:a1",
                                "[10-15) rw-p pgoff=A+10 flags=ac anon_vma=a1 chain=c8:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=3 tree=P[1-4),P[8-10),P[10-15)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=3 vma=3 folio=1");
}

// Back: next grows down over the whole middle, which is deleted.
TEST(Mprotect, HeadBackIsAbsorbedByNext) {
  Scenario s;
  s.setup(a_rml_up_to(15));

  Step st = s.op("P mprotect 8 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 1}));           // kernel: §11 row 29, A.rml L16
  EXPECT_EQ(st.events, Lines{"-c6 unlink_anon_vmas"});  // kernel: A.rml L16 frees L12's first clone
  EXPECT_EQ(s.maps("P"), (Lines{"[1-4) rw-p pgoff=A+1 flags=ac anon_vma=a1 chain=c4:a1",
                                "[8-15) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c8:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[1-4),P[8-15)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

// One mprotect over two VMAs: the first ([4,8)) merges with both neighbours
// and the loop is done, since prev now reaches past the range.
//
// kernel: measured with the field-guide harness:
//   1 spawn Q / 2 Q mmap 0 12 / 3 Q write 0 / 4 Q mprotect 4 4 r (0 0 2 0)
//   5 Q mprotect 4 8 rw (0 0 0 2: L3's AVC, then L4's second clone)
//   6 maps: [0-12)rw-p; exit frees L4's first clone.
//
//   page  0123456789ab
//   Q     1111|1111|1111   rw | r | rw
//   Q     111111111111
TEST(Mprotect, RangeOverTwoVmasMergesEverything) {
  Scenario s;
  s.setup("spawn Q\nQ mmap 0 12\nQ write 0\nQ mprotect 4 4 r");

  Step st = s.op("Q mprotect 4 8 rw");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 2}));  // kernel: measured above, L5
  EXPECT_EQ(st.events, (Lines{"-c1 unlink_anon_vmas", "-c3 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("Q"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=Q[0-12)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// In a fork child (k = 2) each split clones the whole chain, root first.
//
//   page  01234567
//   C     22222222      before, chain [a2, a1]
//   C     22|22|2222    after
TEST(Mprotect, ForkChildMiddleClonesTheWholeChainTwice) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C");

  Step st = s.op("C mprotect 2 2 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 4, 0}));  // kernel: §11 row 28, D.rml L7
  EXPECT_EQ(st.events, (Lines{"+c4 anon_vma_clone", "+c5 anon_vma_clone", "+c6 anon_vma_clone",
                              "+c7 anon_vma_clone"}));
  // kernel: D.rml L8's frees name the upper piece's chain as [4th, 3rd] of L7's allocs.
  EXPECT_EQ(s.maps("C"), (Lines{"[0-2) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c5:a2,c4:a1",
                                "[2-4) r--p pgoff=A+2 flags=ac anon_vma=a2 chain=c3:a2,c2:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=a2 chain=c7:a2,c6:a1"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),C[0-2),C[2-4),C[4-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=3 "
                   "tree=C[0-2),C[2-4),C[4-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=7 vma=4 folio=8");
}

// Back: the pieces share a2 (case 3), so a fork child may merge them; the
// middle's chain goes first (newest first), then next's.
TEST(Mprotect, ForkChildMiddleBackMergesItsOwnPieces) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC mprotect 2 2 r");

  Step st = s.op("C mprotect 2 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 4}));  // kernel: §11 row 28, D.rml L8
  // kernel: D.rml L8 trace: C's fork AVCs (own, clone), then the upper piece's.
  EXPECT_EQ(st.events, (Lines{"-c3 unlink_anon_vmas", "-c2 unlink_anon_vmas",
                              "-c7 unlink_anon_vmas", "-c6 unlink_anon_vmas"}));
  // The survivor is the lower clone (kernel: D.rml L20 frees L7's first two AVCs).
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c5:a2,c4:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),C[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[0-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=8");
}

// ---------------------------------------------------------------------------
// is_mergeable_anon_vma (6.18.8+): case 1 dst unfaulted, src faulted (dup);
// case 2 dst faulted, src unfaulted; case 3 both faulted, same anon_vma.

// Case 3: prev and middle share a1: prev grows, middle shrinks, nothing is
// allocated or freed.
//
//   page  01234567
//   P     1111|1111     [0,4) rw | [4,8) rwx, both a1
//   P     111111|11     mprotect 4 2 rw
TEST(Merge, SameAnonVmaPrevGrowsMiddleShrinks) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 0\nP write 4");

  Step st = s.op("P mprotect 4 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 30, F.rml L6
  EXPECT_EQ(st.events, Lines{});
  // kernel: F.rml L7 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[6-8) rwxp pgoff=A+6 flags=ac anon_vma=a1 chain=c2:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[0-6),P[6-8)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=2");
}

// Case 1: unfaulted prev, faulted middle that is not a fork child: prev gets
// dup_anon_vma (one AVC) and grows.
//
//   page  01234567
//   P     ----|1111     [0,4) rw unfaulted | [4,8) rwx a1
//   P     111111|11
TEST(Merge, UnfaultedPrevGetsDupAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 4");

  Step st = s.op("P mprotect 4 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));  // kernel: §11 row 31, F.rml L12
  EXPECT_EQ(st.events, Lines{"+c2 anon_vma_clone"});
  // kernel: F.rml L13 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-6) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[6-8) rwxp pgoff=A+6 flags=ac anon_vma=a1 chain=c1:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[0-6),P[6-8)"});
  EXPECT_EQ(s.page("P", 4), "f1 mapping=a1 index=A+4 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

// Case 1 refused: the middle is a fork child, so the range is split off
// instead (k = 2 AVCs for the new upper piece).
//
//   page  01234567
//   C     ----|2222     [0,4) unfaulted | [4,8) rwx chain [a2, a1]
//   C     ----|22|22
TEST(Merge, ForkChildMiddleIsNotMergedIntoUnfaultedPrev) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 4 4 rwx\nP write 4\nP fork C");

  Step st = s.op("C mprotect 4 2 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 0}));  // kernel: §11 row 32, F.rml L19
  EXPECT_EQ(st.events, (Lines{"+c4 anon_vma_clone", "+c5 anon_vma_clone"}));
  // kernel: F.rml L20 maps; F.rml L21 (C exit) frees in an order that names
  // [6,8)'s chain [c5:a2, c4:a1].
  EXPECT_EQ(s.maps("C"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-6) rw-p pgoff=A+4 flags=ac anon_vma=a2 chain=c3:a2,c2:a1",
                                "[6-8) rwxp pgoff=A+6 flags=ac anon_vma=a2 chain=c5:a2,c4:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[4-8),C[4-6),C[6-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=2 "
                   "tree=C[4-6),C[6-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=5 vma=5 folio=1");
}

// An unfaulted middle between prev (a1) and next (a2) with matching flags:
// each side alone would do, but prev and next have different anon_vmas, so
// only the left merge happens (case 2 with prev).
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 4 / 3 P write 0 / 4 P mmap 4 4 rwx / 5 P mmap 8 4
//   6 P write 8 / 7 P mprotect 4 4 rw (0 0 0 0) / 8 maps: [0-8)rw-p [8-12)rw-p
//
//   page  0123456789ab
//   P     1111|----|2222
//   P     11111111|2222
TEST(Merge, UnfaultedMiddleBetweenTwoAnonVmasMergesLeftOnly) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0\nP mmap 4 4 rwx\nP mmap 8 4\nP write 8");

  Step st = s.op("P mprotect 4 4 rw");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: measured above, L7
  EXPECT_EQ(s.maps("P"), (Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[8-12)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=2");
}

// ---------------------------------------------------------------------------
// madvise flag changes split and merge like mprotect (§8)

TEST(Madvise, DontforkOnAMiddlePartSplitsTwice) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4");

  Step st = s.op("P madvise 4 4 dontfork");

  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 0}));  // kernel: §11 row 42, B2.rml L14
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone"}));
  // kernel: B2.rml L15 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac,dc anon_vma=a1 chain=c1:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c3:a1"}));
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=3 tree=P[0-4),P[4-8),P[8-16)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=3 vma=3 folio=4");
}

TEST(Madvise, DoforkBackMergesAllThree) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 4 4 dontfork");

  Step st = s.op("P madvise 4 4 dofork");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 2}));  // kernel: §11 row 42, B2.rml L19
  // kernel: B2.rml L19 frees L3's AVC (the middle) then L14's second clone (next).
  EXPECT_EQ(st.events, (Lines{"-c1 unlink_anon_vmas", "-c3 unlink_anon_vmas"}));
  // kernel: B2.rml L20 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// ---------------------------------------------------------------------------
// The VM_ACCOUNT trap (§6.4): a private writable mapping is charged; making
// it read-only refunds only while it has no anon_vma.

//   page  0123456789ab
//   P     1111|1111       [4,8) r--p, still ac
TEST(VmAccount, MprotectToReadOnlyKeepsItOnAFaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0");

  Step st = s.op("P mprotect 4 4 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));  // kernel: K.rml L4
  EXPECT_EQ(st.events, Lines{"+c2 anon_vma_clone"});
  // kernel: K.rml L7, smaps of [4,8) shows "ac".
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[4-8) r--p pgoff=A+4 flags=ac anon_vma=a1 chain=c1:a1"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=1");
}

// ...so a fresh read-only mapping next to it differs in VM_ACCOUNT and is not
// merged, though /proc/maps shows two identical r--p VMAs.
//
//   page  0123456789ab
//   P     1111|1111|----  [8,12) r--p without ac
TEST(VmAccount, FreshReadOnlyMappingNextToItIsNotMerged) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0\nP mprotect 4 4 r");

  Step st = s.op("P mmap 8 4 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: K.rml L5
  // kernel: K.rml L6 maps (three VMAs), L7 smaps ("ac" only on [4,8)).
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[4-8) r--p pgoff=A+4 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) r--p pgoff=A+8 flags=- anon_vma=- chain=-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=3 folio=1");
}

TEST(VmAccount, MprotectToReadOnlyDropsItOnAnUnfaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8");

  Step st = s.op("P mprotect 4 4 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: K.rml L10
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-8) r--p pgoff=A+4 flags=- anon_vma=- chain=-"}));
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=0");
}

// ...so the same fresh read-only mapping does merge.
TEST(VmAccount, FreshReadOnlyMappingNextToAnUnfaultedOneMerges) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP mprotect 4 4 r");

  Step st = s.op("P mmap 8 4 r");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: K.rml L11
  // kernel: K.rml L12 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-",
                                "[4-12) r--p pgoff=A+4 flags=- anon_vma=- chain=-"}));
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=0");
}

// mprotect back to writable charges it again, and the halves merge.
//
// kernel: measured with the field-guide harness:
//   1 spawn Q / 2 Q mmap 0 8 / 3 Q mprotect 4 4 r / 4 Q mprotect 4 4 rw
//   maps after L4: [0-8)rw-p; smaps VmFlags "rd wr mr mw me ac".
TEST(VmAccount, MprotectBackToWritableChargesAgainAndMerges) {
  Scenario s;
  s.setup("spawn Q\nQ mmap 0 8\nQ mprotect 4 4 r");

  Step st = s.op("Q mprotect 4 4 rw");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("Q"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=0");
}

// ---------------------------------------------------------------------------
// mmap next to existing VMAs (vma_merge_new_range; the new range has no anon_vma)

//   page  0123456789012345
//   P     11111111           then mmap 8 8
//   P     1111111111111111
TEST(MmapMerge, NextToAFaultedVmaExtendsIt) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0");

  Step st = s.op("P mmap 8 8");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 33, A.rml L21
  EXPECT_EQ(st.events, Lines{});
  // kernel: A.rml L23 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

//   page  01234567
//   P         1111           then mmap 0 4
//   P     11111111           next grows down; its pgoff becomes A+0
TEST(MmapMerge, BeforeAFaultedVmaExtendsItDownward) {
  Scenario s;
  s.setup("spawn P\nP mmap 4 4\nP write 4");

  Step st = s.op("P mmap 0 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 33, K.rml L16
  // kernel: K.rml L17 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)"});
  EXPECT_EQ(s.page("P", 4), "f1 mapping=a1 index=A+4 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// Case 2 refused: the faulted neighbour is a fork child.
TEST(MmapMerge, NextToAForkChildIsNotMerged) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C");

  Step st = s.op("C mmap 8 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 34, D.rml L5
  // kernel: D.rml L6 maps.
  EXPECT_EQ(s.maps("C"), (Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=- chain=-"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=3 folio=8");
}

// The parent's chain stays singular after the fork, so it still merges.
TEST(MmapMerge, TheForkingParentStillMerges) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC exit");

  Step st = s.op("P mmap 8 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: D.rml L21
  // kernel: D.rml L22 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=8");
}

//   page  0123456789ab
//   P     1111    ----       [0,4) a1 | hole | [8,12) unfaulted
//   P     111111111111       mmap 4 4: three VMAs become one
TEST(MmapMerge, HoleBetweenFaultedPrevAndUnfaultedNext) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0\nP mmap 8 4 r\nP mprotect 8 4 rw");

  Step st = s.op("P mmap 4 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 35, A.rml L36
  EXPECT_EQ(st.events, Lines{});
  // kernel: A.rml L37 maps.
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// Unfaulted prev, faulted next: prev gets dup_anon_vma from next, then next
// is deleted and unlinked.
//
//   page  0123456789ab
//   P     ----    1111       [0,4) unfaulted | hole | [8,12) a1
//   P     111111111111       prev [0,4) survives
TEST(MmapMerge, HoleBetweenUnfaultedPrevAndFaultedNext) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4 r\nP mprotect 0 4 rw\nP mmap 8 4\nP write 8");

  Step st = s.op("P mmap 4 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 1}));  // kernel: §11 row 36, A.rml L43
  // kernel: A.rml L43 trace: a clone, then the free of L42's AVC.
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "-c1 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-12) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-12)"});
  EXPECT_EQ(s.page("P", 8), "f1 mapping=a1 index=A+8 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// Prev and next have different anon_vmas: only the left merge happens.
//
//   page  0123456789ab
//   P     1111    2222
//   P     11111111|2222
TEST(MmapMerge, HoleBetweenTwoDifferentAnonVmasMergesLeftOnly) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP write 0\nP mmap 8 4\nP write 8");

  Step st = s.op("P mmap 4 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 37, A.rml L29
  // kernel: A.rml L30 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[8-12)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=2");
}

// ---------------------------------------------------------------------------
// MAP_FIXED over existing mappings: the old VMAs are split off, detached and
// unlinked before the new range merges with what is left.

// Over the middle: two splits (+2), the old middle unlinked (-1, the
// original's AVC), then the new range rejoins both sides and deletes next (-1).
//
//   page  0123456789012345
//   P     1111111111111111   before, all written
//   P     1111----11111111   after, pages 4-7 empty, one VMA again
TEST(MapFixed, OverTheMiddleOfAFaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16");

  Step st = s.op("P mmap 4 4");

  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 2}));  // kernel: §11 row 38, A.rml L48
  // kernel: A.rml L48 trace: two clones, free L47's AVC, free the second clone.
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+c3 anon_vma_clone", "-c1 unlink_anon_vmas",
                              "-c3 unlink_anon_vmas"}));
  // kernel: A.rml L49 maps, L50 pfn.py (p3 mapped, p4 and p5 empty).
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_EQ(s.pages("P", 3, 3), (Lines{"f4 mapping=a1 index=A+3 mapcount=1 excl=1", "-", "-"}));
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=12");
}

// In a fork child the same MAP_FIXED splits with k = 2 and the new range
// may not rejoin the fork-child remnants (case 2 refused on both sides).
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 16 / 3 P write 0 16 / 4 P fork C
//   5 C mmap 4 4 (0 0 4 2: four clones, then C's own fork AVC, then its
//     clone AVC) / 6 maps: [0-4) [4-8) [8-16)
//
//   page  0123456789012345
//   C     2222222222222222   chain [a2, a1]
//   C     2222|----|22222222
TEST(MapFixed, OverTheMiddleOfAForkChildsVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16\nP fork C");

  Step st = s.op("C mmap 4 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 4, 2}));  // kernel: measured above, L5
  EXPECT_EQ(st.events,
            (Lines{"+c4 anon_vma_clone", "+c5 anon_vma_clone", "+c6 anon_vma_clone",
                   "+c7 anon_vma_clone", "-c3 unlink_anon_vmas", "-c2 unlink_anon_vmas"}));
  EXPECT_EQ(s.maps("C"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c5:a2,c4:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=- chain=-",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c7:a2,c6:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),C[0-4),C[8-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=2 "
                   "tree=C[0-4),C[8-16)"}));
  EXPECT_EQ(s.page("C", 4), "-");
  EXPECT_EQ(s.page("C", 0), "f1 mapping=a1 index=A+0 mapcount=2 excl=0");
  EXPECT_EQ(s.page("P", 4), "f5 mapping=a1 index=A+4 mapcount=1 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=5 vma=4 folio=16");
}

TEST(MapFixed, OverAWholeFaultedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16\nP mmap 4 4");

  Step st = s.op("P mmap 0 16");

  EXPECT_EQ(st.counts, (Counts{0, 1, 0, 1}));  // kernel: §11 row 39, A.rml L51
  EXPECT_EQ(st.events, (Lines{"-a1 __put_anon_vma", "-c2 unlink_anon_vmas"}));  // A.rml L51 trace
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  EXPECT_EQ(s.page("P", 0), "-");
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=0");
}

// Across a hole, over the tail of one VMA and the head of another: the end
// VMA is split (+1), both originals are unlinked (-2). The new range merges
// with neither neighbour (prev is r--p, next has VM_DONTCOPY).
//
//   page  0123456789ab
//   P     1|1     2222     [0,2) r dc | [2,4) rw dc | hole | [8,12) rw dc
//   P     1|------|22      [2,10) new
TEST(MapFixed, AcrossAHole) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 8 4\nP write 0\nP write 8");  // G.rml L1-L5
  EXPECT_EQ(s.op("P mprotect 0 12 r").result, "ENOMEM");             // G.rml L6
  EXPECT_EQ(s.op("P mprotect 2 10 rw").result, "ENOMEM");            // G.rml L8
  EXPECT_EQ(s.op("P madvise 0 12 dontfork").result, "ENOMEM");       // G.rml L10
  ASSERT_EQ(s.maps("P"), (Lines{"[0-2) r--p pgoff=A+0 flags=ac,dc anon_vma=a1 chain=c3:a1",
                                "[2-4) rw-p pgoff=A+2 flags=ac,dc anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac,dc anon_vma=a2 chain=c2:a2"}));

  Step st = s.op("P mmap 2 8");

  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 2}));  // kernel: G.rml L15
  // kernel: G.rml L15 trace: one clone, then L4's and L5's AVCs freed.
  EXPECT_EQ(st.events,
            (Lines{"+c4 anon_vma_clone", "-c1 unlink_anon_vmas", "-c2 unlink_anon_vmas"}));
  // kernel: G.rml L16 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-2) r--p pgoff=A+0 flags=ac,dc anon_vma=a1 chain=c3:a1",
                                "[2-10) rw-p pgoff=A+2 flags=ac anon_vma=- chain=-",
                                "[10-12) rw-p pgoff=A+10 flags=ac,dc anon_vma=a2 chain=c4:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-2)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[10-12)"}));
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("P", 8), "-");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=3 folio=1");
}

}  // namespace
}  // namespace rmaplab::model::testing
