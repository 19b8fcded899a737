// Scenarios for fork and exit (fork.cc: dup_mmap, anon_vma_fork,
// anon_vma_clone; exit_mmap, unlink_anon_vmas).
//
// Each test builds a state, applies one operation and asserts every
// observable (testing/scenario.h explains the notation). Expected values come
// from Linux 6.18.44 measured with the field-guide harness: "§11 row N" is a
// row of shared/docs/kernel-field-guide.md §11, "B.rml L6" a line of a script
// in shared/docs/kernel-field-guide-tests/ (run with run.py -v: the trace
// gives the event order, and the slab pointers tell which object each event
// is about, e.g. that clone AVCs are made root first). Counters are not
// visible from user space; they follow the guide's §1.1 and §3.2.
//
// Pictures: one row per process over a ruler of arena pages; a digit is the
// model id of the anon_vma its VMA uses, '-' an unfaulted VMA, ' ' no VMA.
#include <gtest/gtest.h>

#include <string>

#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

// ---------------------------------------------------------------------------
// anon_vma_fork

TEST(Fork, UnfaultedVmaCostsNothingAndStaysUnfaulted) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 11, B.rml L3
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=0");
}

// A faulted VMA with chain length k = 1: anon_vma_clone gives the child one
// AVC per entry of the parent's chain, then anon_vma_fork allocates the
// child's own anon_vma (parent a1, root a1) and its AVC. The pages are shared:
// mapcount 2, PG_anon_exclusive cleared.
//
//   page  0123456789012345
//   P     1111111111111111   chain [a1]        pages 0-3 written
//   C     2222222222222222   chain [a2, a1]    pages 0-3 shared with P
TEST(Fork, FaultedVmaClonesTheChainThenAddsAChildAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 2, 0}));  // kernel: §11 row 12 (k=1), B.rml L6
  // kernel: B.rml L6 trace "Aavc:anon_vma_clone Aav:anon_vma_fork Aavc:anon_vma_fork"
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+a2 anon_vma_fork", "+c3 anon_vma_fork"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  // §1.5 I5: the child's own AVC at the head, the root last.
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  // §3.2 step 4: parent's num_children++ and get_anon_vma(root).
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),C[0-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[0-16)"}));
  // kernel: B.rml L7-8, both processes show the same PFNs with map=2 (§3.3).
  const Lines shared{"f1 mapping=a1 index=A+0 mapcount=2 excl=0",
                     "f2 mapping=a1 index=A+1 mapcount=2 excl=0",
                     "f3 mapping=a1 index=A+2 mapcount=2 excl=0",
                     "f4 mapping=a1 index=A+3 mapcount=2 excl=0", "-"};
  EXPECT_EQ(s.pages("P", 0, 5), shared);
  EXPECT_EQ(s.pages("C", 0, 5), shared);
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=4");
}

// k = 2: two clone AVCs, root side first, then the anon_vma and its AVC.
//
//   P     1111111111111111   chain [a1]
//   C     2222222222222222   chain [a2, a1]
//   D     3333333333333333   chain [a3, a2, a1]   (fork of C)
TEST(Fork, ForkChildForksWithItsWholeChainRootFirst) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C");

  Step st = s.op("C fork D");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 3, 0}));  // kernel: §11 row 12 (k=2), B.rml L14
  // kernel: B.rml L14 allocates two clone AVCs then a, c; D's exit (B.rml L17)
  // frees them newest first as own, second clone, first clone, so the first
  // clone AVC (c4) is the root's.
  EXPECT_EQ(st.events, (Lines{"+c4 anon_vma_clone", "+c5 anon_vma_clone", "+a3 anon_vma_fork",
                              "+c6 anon_vma_fork"}));
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  EXPECT_EQ(s.maps("D"),
            Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a3 chain=c6:a3,c5:a2,c4:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),C[0-16),D[0-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=C[0-16),D[0-16)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=D[0-16)"}));
  EXPECT_EQ(s.page("D", 0), "f1 mapping=a1 index=A+0 mapcount=3 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=6 vma=3 folio=4");
}

// P -> C -> D, then C exits: C's a2 has no active VMA and one live child (a3),
// so D's fork reuses it: k AVCs and no anon_vma. F's chain keeps D's order,
// with its active anon_vma (a2) in the middle.
//
//   P     1111111111111111   chain [a1]
//   D     3333333333333333   chain [a3, a2, a1]
//   F     2222222222222222   chain [a3, a2, a1], reuses a2
TEST(Fork, ReusesAnAbandonedAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C\nC fork D\nC exit");

  Step st = s.op("D fork F");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 3, 0}));  // kernel: §11 row 13, B.rml L16
  EXPECT_EQ(st.events, (Lines{"+c7 anon_vma_clone", "+c8 anon_vma_clone", "+c9 anon_vma_clone"}));
  EXPECT_EQ(s.maps("D"),
            Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a3 chain=c6:a3,c5:a2,c4:a1"});
  EXPECT_EQ(s.maps("F"),
            Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c9:a3,c8:a2,c7:a1"});
  // §3.2 step 2: num_active_vmas++ on the reused anon_vma; nothing else moves.
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),D[0-16),F[0-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=D[0-16),F[0-16)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=D[0-16),F[0-16)"}));
  EXPECT_EQ(s.page("F", 0), "f1 mapping=a1 index=A+0 mapcount=3 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=7 vma=3 folio=4");
}

// An abandoned anon_vma with two live children is not reusable
// (num_children < 2 fails): C forked D and E, then exited; D's fork must
// allocate.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 8 / 3 P write 0 2 / 4 P fork C / 5 P exit
//   7 C write 0 / 9 C fork D (1 0 3 0) / 10 C fork E (1 0 3 0)
//   11 C exit (0 0 0 2) / 12 D fork F (1 0 4 0: three clone AVCs, a, c)
//
//   D     3333333   chain [a3, a2, a1]; a2 = C's, children a3 and a4
//   E     4444444   chain [a4, a2, a1]
//   F     5555555   chain [a5, a3, a2, a1]
TEST(Fork, AnAbandonedAnonVmaWithTwoChildrenIsNotReused) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0 2\n"
      "P fork C\n"
      "P exit\n"
      "C write 0\n"  // reuse: f1 moves to a2
      "C fork D\n"
      "C fork E\n"
      "C exit");

  Step st = s.op("D fork F");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 4, 0}));  // kernel: measured above, L12
  EXPECT_EQ(st.events, (Lines{"+c10 anon_vma_clone", "+c11 anon_vma_clone", "+c12 anon_vma_clone",
                              "+a5 anon_vma_fork", "+c13 anon_vma_fork"}));
  EXPECT_EQ(s.maps("F"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a5 chain=c13:a5,c12:a3,c11:a2,c10:a1"});
  EXPECT_EQ(s.maps("D"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a3 chain=c6:a3,c5:a2,c4:a1"});
  EXPECT_EQ(s.maps("E"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a4 chain=c9:a4,c8:a2,c7:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=5 num_children=2 num_active_vmas=0 "
                   "tree=D[0-8),E[0-8),F[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=2 num_active_vmas=0 "
                   "tree=D[0-8),E[0-8),F[0-8)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=D[0-8),F[0-8)",
                   "a4 root=a1 parent=a2 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=E[0-8)",
                   "a5 root=a1 parent=a3 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=F[0-8)"}));
  EXPECT_EQ(s.pages("F", 0, 3), (Lines{"f1 mapping=a2 index=A+0 mapcount=3 excl=0",
                                       "f2 mapping=a1 index=A+1 mapcount=3 excl=0", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=5 avc=10 vma=3 folio=2");
}

// With two eligible ancestors the walk from the root side takes the one
// nearest the root. The kernel's counters cannot tell the candidates apart
// (§14), so the choice is from the source (§3.2 [S]); the count is measured.
//
//   P -> C -> D -> E, C and D exit: a2 (C's) and a3 (D's) both have no active
//   VMA and one live child.
//   E     4444444   chain [a4, a3, a2, a1]
//   F     2222222   chain [a4, a3, a2, a1], reuses a2, not a3
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 8 / 3 P write 0 / 4 P fork C / 5 C fork D
//   6 D fork E / 7 C exit / 8 D exit / 9 E fork F (0 0 4 0)
TEST(Fork, ReusePrefersTheCandidateNearestTheRoot) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0\n"
      "P fork C\n"
      "C fork D\n"
      "D fork E\n"
      "C exit\n"
      "D exit");

  Step st = s.op("E fork F");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 4, 0}));  // kernel: measured above, L9
  EXPECT_EQ(st.events, (Lines{"+c11 anon_vma_clone", "+c12 anon_vma_clone", "+c13 anon_vma_clone",
                              "+c14 anon_vma_clone"}));
  EXPECT_EQ(s.maps("F"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 "
                               "chain=c14:a4,c13:a3,c12:a2,c11:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=4 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),E[0-8),F[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=E[0-8),F[0-8)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=1 num_active_vmas=0 "
                   "tree=E[0-8),F[0-8)",
                   "a4 root=a1 parent=a3 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=E[0-8),F[0-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=4 avc=9 vma=3 folio=1");
}

// A VM_DONTCOPY VMA does not exist in the child: no anon_vma work, no pages.
TEST(Fork, DontcopyVmaIsAbsentInTheChild) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 0 16 dontfork");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 14, B2.rml L10
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("C"), Lines{});  // kernel: B2.rml L11, C2's maps are empty
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac,dc anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("C", 0), "-");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// A VM_WIPEONFORK VMA reaches the child unfaulted and empty, keeping the flag.
TEST(Fork, WipeonforkVmaReachesTheChildUnfaulted) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 0 16 wipeonfork");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 15, B2.rml L22
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac,wf anon_vma=- chain=-"});
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac,wf anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.page("C", 0), "-");
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=2 folio=4");
}

TEST(Fork, WipeonforkChildReadMapsTheZeroPage) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 0 16 wipeonfork\nP fork C");

  Step st = s.op("C read 0");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: B2.rml L24
  EXPECT_EQ(s.page("C", 0), "zero");           // kernel: B2.rml L25, the ZERO pfn
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac,wf anon_vma=- chain=-"});
}

// The wiped child's first write makes a new family root, unrelated to P's.
TEST(Fork, WipeonforkChildWriteCreatesANewRoot) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 0 16 wipeonfork\nP fork C");

  Step st = s.op("C write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 1, 0}));  // kernel: §11 row 15, B2.rml L26
  EXPECT_EQ(st.events, (Lines{"+c2 __anon_vma_prepare", "+a2 __anon_vma_prepare"}));
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac,wf anon_vma=a2 chain=c2:a2"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=C[0-16)"}));
  EXPECT_EQ(s.page("C", 0), "f5 mapping=a2 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=5");
}

// Two pieces of P share a1, which is therefore active twice: neither child
// piece may reuse it, so each gets its own anon_vma, in address order.
//
//   page  0123456789012345
//   P     1111111111111111   [0,4) | [4,8) dc | [8,16), all on a1
//   C     2222    33333333   [4,8) not copied
TEST(Fork, TwoPiecesSharingAnAnonVmaGetTwoChildAnonVmas) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP madvise 4 4 dontfork");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{2, 0, 4, 0}));  // kernel: §11 row 16, B2.rml L16
  // kernel: B2.rml L16 trace, per VMA "clone c, a, fork c".
  EXPECT_EQ(st.events, (Lines{"+c4 anon_vma_clone", "+a2 anon_vma_fork", "+c5 anon_vma_fork",
                              "+c6 anon_vma_clone", "+a3 anon_vma_fork", "+c7 anon_vma_fork"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac,dc anon_vma=a1 chain=c1:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a1 chain=c3:a1"}));
  // kernel: B2.rml L17, C has [0,4) and [8,16).
  EXPECT_EQ(s.maps("C"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c5:a2,c4:a1",
                                "[8-16) rw-p pgoff=A+8 flags=ac anon_vma=a3 chain=c7:a3,c6:a1"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=3 num_active_vmas=3 "
                   "tree=P[0-4),C[0-4),P[4-8),P[8-16),C[8-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 tree=C[0-4)",
                   "a3 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[8-16)"}));
  EXPECT_EQ(s.page("C", 0), "f1 mapping=a1 index=A+0 mapcount=2 excl=0");
  EXPECT_EQ(s.page("C", 4), "-");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=7 vma=5 folio=4");
}

// The same when the sharing came from neighbour reuse at the first fault:
// [4,8) took prev's a1, so a1 is active twice and neither child VMA reuses it.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 4 / 3 P mprotect 0 4 rwx / 4 P mmap 4 4
//   5 P write 0 (1 0 1 0) / 6 P write 4 (0 0 1 0) / 7 P fork C (2 0 4 0:
//   clone c, a, fork c, clone c, a, fork c) / 8 maps of C: [0-4)rwxp [4-8)rw-p
//
//   page  01234567
//   P     1111|1111
//   C     2222|3333
TEST(Fork, TwoNeighboursSharingAnAnonVmaGetTwoChildAnonVmas) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mprotect 0 4 rwx\nP mmap 4 4\nP write 0\nP write 4");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{2, 0, 4, 0}));  // kernel: measured above, L7
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "+a2 anon_vma_fork", "+c4 anon_vma_fork",
                              "+c5 anon_vma_clone", "+a3 anon_vma_fork", "+c6 anon_vma_fork"}));
  EXPECT_EQ(s.maps("C"), (Lines{"[0-4) rwxp pgoff=A+0 flags=ac anon_vma=a2 chain=c4:a2,c3:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=a3 chain=c6:a3,c5:a1"}));
  EXPECT_EQ(
      s.anon_vmas(),
      (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=3 num_active_vmas=2 "
             "tree=P[0-4),C[0-4),P[4-8),C[4-8)",
             "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 tree=C[0-4)",
             "a3 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 tree=C[4-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=3 avc=6 vma=4 folio=2");
}

// ---------------------------------------------------------------------------
// exit_mmap: unlink_anon_vmas per VMA

// P exits first: its AVC goes (a1's tree still holds C and G); nothing freed.
TEST(Exit, TopOfAThreeDeepFamilyFreesOneAvc) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC fork G");

  Step st = s.op("P exit");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 1}));           // kernel: B6.rml L6
  EXPECT_EQ(st.events, Lines{"-c1 unlink_anon_vmas"});  // kernel: B6.rml L6 frees L3's AVC
  EXPECT_FALSE(s.alive("P"));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=2 num_active_vmas=0 "
                   "tree=C[0-8),G[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=C[0-8),G[0-8)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=G[0-8)"}));
  EXPECT_EQ(s.page("G", 0), "f1 mapping=a1 index=A+0 mapcount=2 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=5 vma=2 folio=1");
}

// Parent and child of the exiting process are alive: k = 2 AVCs, newest
// first, and no anon_vma (C's a2 stays, linked by D).
TEST(Exit, MiddleOfAFamilyFreesItsChainOnly) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C\nC fork D");

  Step st = s.op("C exit");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 2}));  // kernel: §11 row 25, B.rml L15
  // kernel: B.rml L15 trace frees C's own fork AVC, then its clone AVC.
  EXPECT_EQ(st.events, (Lines{"-c3 unlink_anon_vmas", "-c2 unlink_anon_vmas"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=3 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),D[0-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=0 "
                   "tree=D[0-16)",
                   "a3 root=a1 parent=a2 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=D[0-16)"}));
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=2 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=4 vma=2 folio=4");
}

// A fork child that split its VMA exits: every piece frees its chain in
// address order; only the last piece empties C's a2, so a2 goes last.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 16 / 3 P write 0 16 / 4 P fork C / 5 C mmap 4 4
//   7 C munmap 12 2 / 9 C exit (0 1 0 6: [0,4)'s two AVCs, [8,12)'s two,
//     [14,16)'s a1 AVC, then C's anon_vma and [14,16)'s a2 AVC)
TEST(Exit, ForkChildWithSplitPiecesFreesItsAnonVmaWithTheLastPiece) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16\nP fork C\nC mmap 4 4\nC munmap 12 2");

  Step st = s.op("C exit");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 1, 0, 6}));  // kernel: measured above, L9
  EXPECT_EQ(st.events,
            (Lines{"-c5 unlink_anon_vmas", "-c4 unlink_anon_vmas", "-c9 unlink_anon_vmas",
                   "-c8 unlink_anon_vmas", "-c10 unlink_anon_vmas", "-a2 __put_anon_vma",
                   "-c11 unlink_anon_vmas"}));
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=16");
}

// The last member of a three-deep family exits: every tree empties, so every
// AVC stays for pass 2, which frees children before parents: a c a c a c.
TEST(Exit, LastMemberOfAThreeDeepFamilyFreesChildrenBeforeParents) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC fork G\nP exit\nC exit");

  Step st = s.op("G exit");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 3, 0, 3}));  // kernel: §11 row 24, B6.rml L8
  // kernel: B6.rml L8 trace: free av(G's), its AVC, av(C's), AVC, av(P's), AVC.
  EXPECT_EQ(st.events,
            (Lines{"-a3 __put_anon_vma", "-c6 unlink_anon_vmas", "-a2 __put_anon_vma",
                   "-c5 unlink_anon_vmas", "-a1 __put_anon_vma", "-c4 unlink_anon_vmas"}));
  EXPECT_FALSE(s.alive("G"));
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

// ---------------------------------------------------------------------------
// Sequences measured op by op

// A lineage where each generation forks and then exits: the chain stabilises
// at three, and each fork then reuses an abandoned anon_vma.
// kernel: §11 row 58, H.rml (every line's counts below).
TEST(ForkExitLineage, SteadyStateIsThreeAvcsPerForkAndPerExit) {
  Scenario s;
  s.setup("spawn G0\nG0 mmap 0 8\nG0 write 0 8");
  for (int g = 1; g <= 11; ++g) {
    const std::string parent = "G" + std::to_string(g - 1), child = "G" + std::to_string(g);
    Step fork = s.op(parent + " fork " + child);
    Step exit = s.op(parent + " exit");
    // H.rml L4-L7: the first two generations still allocate.
    const Counts want_fork = g == 1   ? Counts{1, 0, 2, 0}
                             : g == 2 ? Counts{1, 0, 3, 0}
                                      : Counts{0, 0, 3, 0};
    const Counts want_exit = g == 1   ? Counts{0, 0, 0, 1}
                             : g == 2 ? Counts{0, 0, 0, 2}
                                      : Counts{0, 0, 0, 3};
    EXPECT_EQ(fork.counts, want_fork) << "generation " << g;
    EXPECT_EQ(exit.counts, want_exit) << "generation " << g;
  }
  // Root a1, G1's a2 and G2's a3 are all that ever existed: from G3 on, the
  // odd generations reuse a2 and the even ones a3 (each fork 3 clone AVCs,
  // root first: G10's fork made c31..c33).
  EXPECT_EQ(s.maps("G11"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c33:a3,c32:a2,c31:a1"});
  EXPECT_EQ(s.live(), "anon_vma=3 avc=3 vma=1 folio=8");

  Step last = s.op("G11 exit");
  EXPECT_EQ(last.counts, (Counts{0, 3, 0, 3}));  // kernel: H.rml L28
  // kernel: H.rml L28 trace frees G2's, G1's, then the root anon_vma.
  EXPECT_EQ(last.events[0], "-a3 __put_anon_vma");
  EXPECT_EQ(last.events[2], "-a2 __put_anon_vma");
  EXPECT_EQ(last.events[4], "-a1 __put_anon_vma");
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

// The reconstructed CVE-2022-42703 sequence (§12.5): 6.18 refuses the second
// adoption of the abandoned leaf X, so G6's two VMAs get different
// anon_vmas and are not merged. kernel: §11 row 59, E.rml (counts per line).
TEST(ForkExitLineage, DoubleReuseOfAnAbandonedLeafIsRefused) {
  Scenario s;
  struct Line {
    const char* op;
    Counts counts;
  };
  const Line lines[] = {
      {"spawn G0", {0, 0, 0, 0}},                 // E.rml L2
      {"G0 mmap 0 8", {0, 0, 0, 0}},              // L3
      {"G0 write 0 8", {1, 0, 1, 0}},             // L4: R = a1
      {"G0 fork G1", {1, 0, 2, 0}},               // L5: Y = a2
      {"G1 fork G2", {1, 0, 3, 0}},               // L6: V = a3
      {"G2 fork G3", {1, 0, 4, 0}},               // L7: X = a4
      {"G0 exit", {0, 0, 0, 1}},                  // L8
      {"G1 exit", {0, 0, 0, 2}},                  // L9
      {"G2 exit", {0, 0, 0, 3}},                  // L10
      {"G3 madvise 4 4 dontfork", {0, 0, 4, 0}},  // L11
      {"G3 fork G4", {0, 0, 4, 0}},               // L12: z reuses Y
      {"G4 mprotect 2 2 rwx", {0, 0, 4, 0}},      // L13
      {"G4 fork G5", {1, 0, 9, 0}},               // L14: y00 reuses V, s gets N = a5
      {"G5 write 2", {0, 0, 0, 0}},               // L15
      {"G3 exit", {0, 0, 0, 8}},                  // L16
      {"G5 fork G6", {1, 0, 10, 0}},              // L17: d gets a new a6, not X again
  };
  for (const Line& l : lines) {
    Step st = s.op(l.op);
    EXPECT_EQ(st.result, "ok") << l.op;
    EXPECT_EQ(st.counts, l.counts) << l.op;
  }
  // y' reused X (a4); d has its own a6 (parent N = a5).
  EXPECT_EQ(s.vma("G6", 0)->anon_vma->id(), 4u);
  EXPECT_EQ(s.vma("G6", 2)->anon_vma->id(), 6u);
  EXPECT_EQ(s.vma("G6", 2)->anon_vma->parent()->id(), 5u);

  Step st = s.op("G6 mprotect 2 2 rw");  // E.rml L19
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  // kernel: E.rml L20, G6 still has two VMAs [0-2) and [2-4).
  ASSERT_EQ(s.maps("G6").size(), 2u);
  EXPECT_EQ(s.maps("G6")[0].substr(0, 5), "[0-2)");
  EXPECT_EQ(s.maps("G6")[1].substr(0, 10), "[2-4) rw-p");

  EXPECT_EQ(s.op("G6 exit").counts, (Counts{0, 1, 0, 10}));  // E.rml L21
  EXPECT_EQ(s.op("G5 exit").counts, (Counts{0, 1, 0, 9}));   // E.rml L22
  EXPECT_EQ(s.op("G4 exit").counts, (Counts{0, 4, 0, 8}));   // E.rml L23
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

}  // namespace
}  // namespace rmaplab::model::testing
