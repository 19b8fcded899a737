// Scenarios for the system calls' own rules (syscalls.h): shared anonymous
// memory (never an anon_vma), MADV_DONTNEED (pages go, the anon_vma stays),
// and how mprotect and madvise treat holes and unmapped ranges.
//
// Each test builds a state, applies one operation and asserts every
// observable (testing/scenario.h explains the notation). Expected values come
// from Linux 6.18.44 measured with the field-guide harness: "§11 row N" is a
// row of shared/docs/kernel-field-guide.md §11, "G.rml L6" a line of a script
// in shared/docs/kernel-field-guide-tests/ (run with run.py -v).
//
// Pictures: a ruler of arena pages; each VMA's pages carry the model id of
// its anon_vma ('-' unfaulted, 's' shared memory); '|' separates VMAs that
// touch.
#include <gtest/gtest.h>

#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

// ---------------------------------------------------------------------------
// MAP_SHARED|MAP_ANONYMOUS is shmem: faults go through the file path.

TEST(SharedAnonymous, WritesNeverCreateAnAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared");

  Step st = s.op("P write 0 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 40, A.rml L55
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-s pgoff=0 flags=- anon_vma=- chain=-"});
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.pages("P", 0, 2),
            (Lines{"f1 shmem=1 index=0 mapcount=1", "f2 shmem=1 index=1 mapcount=1"}));
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=8");
}

// The child gets the VMA but no PTEs (no anon_vma: copy_page_range skips it,
// §3.1 step 7); it refaults the same shmem pages.
TEST(SharedAnonymous, ForkCopiesTheVmaButNoPagesAndNoAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared\nP write 0 8");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 40, A.rml L56
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-s pgoff=0 flags=- anon_vma=- chain=-"});
  EXPECT_EQ(s.page("C", 0), "-");
  EXPECT_EQ(s.page("P", 0), "f1 shmem=1 index=0 mapcount=1");
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=8");
}

TEST(SharedAnonymous, ChildWriteMapsTheSamePage) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared\nP write 0 8\nP fork C");

  Step st = s.op("C write 0");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 40, A.rml L57
  EXPECT_EQ(s.page("C", 0), "f1 shmem=1 index=0 mapcount=2");
  EXPECT_EQ(s.page("P", 0), "f1 shmem=1 index=0 mapcount=2");
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=2 folio=8");
}

TEST(SharedAnonymous, ExitFreesNoRmapObjects) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared\nP write 0 8\nP fork C\nC write 0");

  Step st = s.op("C exit");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 40, A.rml L58
  EXPECT_EQ(s.page("P", 0), "f1 shmem=1 index=0 mapcount=1");
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=8");
}

// The last mapping of the object goes: its pages go with it.
TEST(SharedAnonymous, MunmapOfTheLastMappingFreesNoRmapObjects) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared\nP write 0 8");

  Step st = s.op("P munmap 0 8");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: A.rml L59
  EXPECT_EQ(s.maps("P"), Lines{});
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

// ---------------------------------------------------------------------------
// MADV_DONTNEED zaps PTEs only.

TEST(MadviseDontneed, KeepsTheAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P madvise 0 8 dontneed");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 41, A.rml L62
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-8)"});
  EXPECT_EQ(s.pages("P", 0, 2), (Lines{"-", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=0");
}

// The refault uses the anon_vma that stayed.
TEST(MadviseDontneed, RefaultReusesTheAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP madvise 0 8 dontneed");

  Step st = s.op("P write 0");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: A.rml L63
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.page("P", 0), "f9 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// "Unfaulted" means no anon_vma, not "no pages": the emptied VMA forks like
// a populated one.
TEST(MadviseDontneed, AnEmptiedVmaStillForksItsAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP madvise 0 8 dontneed");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.counts, (Counts{1, 0, 2, 0}));  // kernel: §11 row 17, I.rml L5
  // kernel: I.rml L5 trace.
  EXPECT_EQ(st.events, (Lines{"+c2 anon_vma_clone", "+a2 anon_vma_fork", "+c3 anon_vma_fork"}));
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  EXPECT_EQ(s.page("C", 0), "-");
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-8),C[0-8)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[0-8)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=0");
}

// ---------------------------------------------------------------------------
// Holes: mprotect stops at the first hole, madvise skips holes and still
// returns ENOMEM.

// G.rml L1-L5.
//   page  0123456789ab
//   P     1111    2222
constexpr const char* kG = "spawn P\nP mmap 0 4\nP mmap 8 4\nP write 0\nP write 8";

//   P     1111    2222     [0,4) made r--p, then the hole stops it
TEST(Holes, MprotectStopsAtTheFirstHole) {
  Scenario s;
  s.setup(kG);

  Step st = s.op("P mprotect 0 12 r");

  EXPECT_EQ(st.result, "ENOMEM");              // kernel: G.rml L6
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: G.rml L6
  // kernel: G.rml L7 maps: only [0,4) changed.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) r--p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=2");
}

// Starting inside [0,4): its tail is split off and changed before the hole.
//
//   P     1|1     2222     [0,2) r--p new (c3) | [2,4) rw-p original
TEST(Holes, MprotectStartingInsideAVmaSplitsItBeforeTheHole) {
  Scenario s;
  s.setup(kG);
  ASSERT_EQ(s.op("P mprotect 0 12 r").result, "ENOMEM");  // G.rml L6

  Step st = s.op("P mprotect 2 10 rw");

  EXPECT_EQ(st.result, "ENOMEM");              // kernel: G.rml L8
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));  // kernel: G.rml L8
  EXPECT_EQ(st.events, Lines{"+c3 anon_vma_clone"});
  // kernel: G.rml L9 maps.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-2) r--p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1",
                                "[2-4) rw-p pgoff=A+2 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=2 "
                   "tree=P[0-2),P[2-4)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[8-12)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=3 folio=2");
}

// madvise applies the flag to every mapped piece, then reports the hole.
TEST(Holes, MadviseAdvisesEveryPieceAndReturnsENOMEM) {
  Scenario s;
  s.setup(kG);
  ASSERT_EQ(s.op("P mprotect 0 12 r").result, "ENOMEM");   // G.rml L6
  ASSERT_EQ(s.op("P mprotect 2 10 rw").result, "ENOMEM");  // G.rml L8

  Step st = s.op("P madvise 0 12 dontfork");

  EXPECT_EQ(st.result, "ENOMEM");              // kernel: G.rml L10
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: G.rml L10
  // kernel: G.rml L11 maps (same VMAs; §8 [V G L10]: the flag is applied to all).
  EXPECT_EQ(s.maps("P"), (Lines{"[0-2) r--p pgoff=A+0 flags=ac,dc anon_vma=a1 chain=c3:a1",
                                "[2-4) rw-p pgoff=A+2 flags=ac,dc anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac,dc anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=3 folio=2");
}

// Partial pieces on both sides of a hole are split off first.
//
// kernel: measured with the field-guide harness:
//   1 spawn P / 2 P mmap 0 4 / 3 P mmap 8 4 / 4 P write 0 4 / 5 P write 8 4
//   6 P madvise 0 12 dontneed (ENOMEM, 0 0 0 0; pfn.py: p0-p11 all empty)
//   8 P madvise 2 8 wipeonfork (ENOMEM, 0 0 2 0)
//   maps: [0-2) [2-4) [8-10) [10-12); exit frees the [0,2) clone in pass 1,
//   then a1 and L4's AVC, L5's AVC, a2 and the [10,12) clone.
//
//   page  0123456789ab
//   P     1|11    22|2     [2,4) and [8,10) get wf
TEST(Holes, MadviseSplitsThePartialPiecesOnBothSides) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 8 4\nP write 0 4\nP write 8 4");
  ASSERT_EQ(s.op("P madvise 0 12 dontneed").result, "ENOMEM");  // measured L6

  Step st = s.op("P madvise 2 8 wipeonfork");

  EXPECT_EQ(st.result, "ENOMEM");
  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 0}));
  EXPECT_EQ(st.events, (Lines{"+c3 anon_vma_clone", "+c4 anon_vma_clone"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-2) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c3:a1",
                                "[2-4) rw-p pgoff=A+2 flags=ac,wf anon_vma=a1 chain=c1:a1",
                                "[8-10) rw-p pgoff=A+8 flags=ac,wf anon_vma=a2 chain=c2:a2",
                                "[10-12) rw-p pgoff=A+10 flags=ac anon_vma=a2 chain=c4:a2"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=4 vma=4 folio=0");
}

// DONTNEED across a hole zaps every mapped piece (§8) and returns ENOMEM.
TEST(Holes, DontneedZapsEveryPieceAndReturnsENOMEM) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nP mmap 8 4\nP write 0 4\nP write 8 4");

  Step st = s.op("P madvise 0 12 dontneed");

  EXPECT_EQ(st.result, "ENOMEM");  // kernel: measured above, L6
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.pages("P", 0, 12), Lines(12, "-"));  // kernel: measured above, L7 pfn.py
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=0");
}

TEST(Holes, MprotectOfAnUnmappedStartDoesNothing) {
  Scenario s;
  s.setup(kG);

  Step st = s.op("P mprotect 4 2 rw");

  EXPECT_EQ(st.result, "ENOMEM");  // kernel: G.rml L12
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
}

TEST(Holes, DontneedOfAnUnmappedRangeIsENOMEM) {
  Scenario s;
  s.setup(kG);

  Step st = s.op("P madvise 4 2 dontneed");

  EXPECT_EQ(st.result, "ENOMEM");  // kernel: G.rml L13
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
}

TEST(Holes, MunmapOfAnUnmappedRangeSucceeds) {
  Scenario s;
  s.setup(kG);

  Step st = s.op("P munmap 20 10");

  EXPECT_EQ(st.result, "ok");  // kernel: G.rml L14, §5.2
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
}

// ---------------------------------------------------------------------------
// madvise on shared memory

TEST(MadviseShared, WipeonforkIsEINVAL) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared");

  Step st = s.op("P madvise 0 8 wipeonfork");

  EXPECT_EQ(st.result, "EINVAL");  // kernel: L.rml L3
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-s pgoff=0 flags=- anon_vma=- chain=-"});
}

TEST(MadviseShared, DontforkIsAccepted) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8 shared");

  Step st = s.op("P madvise 0 8 dontfork");

  EXPECT_EQ(st.result, "ok");  // kernel: L.rml L4
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-s pgoff=0 flags=dc anon_vma=- chain=-"});
}

}  // namespace
}  // namespace rmaplab::model::testing
