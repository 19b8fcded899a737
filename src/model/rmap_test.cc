// Scenarios for mm/rmap.c as the model has it (rmap.cc, memory.cc): the first
// fault (__anon_vma_prepare and find_mergeable_anon_vma), copy-on-write copy
// versus reuse (folio_move_anon_rmap), unlink_anon_vmas' two passes, and the
// rmap walk.
//
// Each test builds a state, applies one operation and asserts every
// observable (testing/scenario.h explains the notation). Expected values come
// from Linux 6.18.44 measured with the field-guide harness: "§11 row N" is a
// row of shared/docs/kernel-field-guide.md §11, "A.rml L5" a line of a script
// in shared/docs/kernel-field-guide-tests/ (run with run.py -v, whose trace
// gives the event order and, through slab pointers, which object each event
// is about). Counters and the rmap walk are not visible from user space;
// those expectations come from the guide's reading of the 6.18 source (§1.1,
// §9), as cited.
//
// Pictures: a ruler of arena pages over one row per process; a digit is the
// model id of the anon_vma a page's VMA uses, '-' an unfaulted VMA, ' ' no VMA.
#include <gtest/gtest.h>

#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

// ---------------------------------------------------------------------------
// First faults

// A read of never-written private memory maps the shared zero page and
// creates nothing.
//
//   page  0123456789012345
//   P     ----------------   read 0 -> zero page, still no anon_vma
TEST(FirstFault, ReadMapsTheZeroPageAndAllocatesNothing) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16");

  Step st = s.op("P read 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 1, A.rml L3
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  EXPECT_EQ(s.anon_vmas(), Lines{});
  EXPECT_EQ(s.page("P", 0), "zero");  // kernel: A.rml L4, pfn.py shows the ZERO page
  EXPECT_EQ(s.page("P", 1), "-");
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=0");
}

// The first write allocates the AVC first, then the new root anon_vma, both
// charged to __anon_vma_prepare. The root is its own root and parent and
// counts itself as a child (the self link).
//
//   page  0123456789012345
//   P     1111111111111111   write 0 -> root a1, chain [a1]
TEST(FirstFault, WriteCreatesARootAnonVmaAvcFirst) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16");

  Step st = s.op("P write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 1, 0}));  // kernel: §11 row 2, A.rml L5
  // kernel: t1.rml L4 trace "Aavc:__anon_vma_prepare Aav:__anon_vma_prepare"
  EXPECT_EQ(st.events, (Lines{"+c1 __anon_vma_prepare", "+a1 __anon_vma_prepare"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  // §1.1, §2.2: refcount 1, num_children 1 (self link), num_active_vmas 1.
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  // §1.4: a new folio points to the VMA's anon_vma, at its linear index, exclusive.
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("P", 1), "-");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

// Writing over a zero-page PTE goes through wp_page_copy and costs exactly a
// first write.
TEST(FirstFault, WriteOverTheZeroPageCostsAFirstWrite) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP read 0");

  Step st = s.op("P write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 1, 0}));  // kernel: §11 row 4, A.rml L3 then L5
  EXPECT_EQ(st.events, (Lines{"+c1 __anon_vma_prepare", "+a1 __anon_vma_prepare"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=1");
}

TEST(FirstFault, FurtherWritesAllocateNoRmapObjects) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0");

  Step st = s.op("P write 1");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 3, A.rml L6
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.pages("P", 0, 3), (Lines{"f1 mapping=a1 index=A+0 mapcount=1 excl=1",
                                       "f2 mapping=a1 index=A+1 mapcount=1 excl=1", "-"}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=2");
}

// ---------------------------------------------------------------------------
// find_mergeable_anon_vma: sharing a neighbour's anon_vma at the first fault

// A compatible neighbour (flags differ only in VM_READ|WRITE|EXEC, pgoff
// linear) with a singular chain lends its anon_vma: one AVC, no anon_vma.
//
//   page  01234567
//   P     1111----   [0,4) rw a1 | [4,8) rwx unfaulted
//   P     11111111   write 4 -> [4,8) shares a1
TEST(NeighbourReuse, FirstWriteSharesACompatiblePrevsAnonVma) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P mprotect 4 4 rwx\n"  // unfaulted split: nothing allocated (kernel: t2.rml L3)
      "P write 0");

  Step st = s.op("P write 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));             // kernel: §11 row 5, t2.rml L6
  EXPECT_EQ(st.events, Lines{"+c2 __anon_vma_prepare"});  // kernel: t2.rml L6 trace
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[4-8) rwxp pgoff=A+4 flags=ac anon_vma=a1 chain=c2:a1"}));
  // §2.3: reuse gives num_active_vmas++ on the shared anon_vma.
  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=2 tree=P[0-4),P[4-8)"});
  EXPECT_EQ(s.page("P", 4), "f2 mapping=a1 index=A+4 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=2");
}

// With both neighbours eligible the next VMA's anon_vma is taken.
//
//   page  0123456789ab
//   P     1111----2222   [0,4) rwx a1 | [4,8) rw unfaulted | [8,12) rwx a2
//   P     111122222222   write 4 -> [4,8) takes next's a2
TEST(NeighbourReuse, NextIsPreferredOverPrev) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 4\n"
      "P mprotect 0 4 rwx\n"
      "P mmap 4 4\n"
      "P mmap 8 4\n"          // merges into [4,12)
      "P mprotect 8 4 rwx\n"  // and splits off again, unfaulted
      "P write 0\n"           // a1
      "P write 8");           // a2: its prev [4,8) has no anon_vma yet

  Step st = s.op("P write 4");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 1, 0}));  // kernel: C4.rml L9
  EXPECT_EQ(st.events, Lines{"+c3 __anon_vma_prepare"});
  // kernel: §11 row 6, C4.rml L10-11: munmap of next then frees no anon_vma,
  // munmap of prev frees one, so [4,8) took next's.
  EXPECT_EQ(s.maps("P"), (Lines{"[0-4) rwxp pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1",
                                "[4-8) rw-p pgoff=A+4 flags=ac anon_vma=a2 chain=c3:a2",
                                "[8-12) rwxp pgoff=A+8 flags=ac anon_vma=a2 chain=c2:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-4)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=2 "
                   "tree=P[4-8),P[8-12)"}));
  EXPECT_EQ(s.page("P", 4), "f3 mapping=a2 index=A+4 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=3 folio=3");
}

// A neighbour whose chain is not singular (a fork child) is never reused.
//
//   page  0123456789ab
//   C     22222222----   [0,8) fork child, chain [a2,a1] | [8,12) unfaulted
//   C     222222223333   write 8 -> a new root a3
TEST(NeighbourReuse, AForkChildNeighbourIsNotReused) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0 8\n"
      "P fork C\n"
      "C mmap 8 4");  // not merged with the fork child (kernel: D.rml L5-6)

  Step st = s.op("C write 8");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 1, 0}));  // kernel: §11 row 7, D.rml L10
  EXPECT_EQ(st.events, (Lines{"+c4 __anon_vma_prepare", "+a3 __anon_vma_prepare"}));
  EXPECT_EQ(s.maps("C"), (Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1",
                                "[8-12) rw-p pgoff=A+8 flags=ac anon_vma=a3 chain=c4:a3"}));
  EXPECT_EQ(s.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(
      s.anon_vmas(),
      (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
             "tree=P[0-8),C[0-8)",
             "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 tree=C[0-8)",
             "a3 root=a3 parent=a3 refcount=1 num_children=1 num_active_vmas=1 tree=C[8-12)"}));
  EXPECT_EQ(s.page("C", 8), "f9 mapping=a3 index=A+8 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=3 avc=4 vma=3 folio=9");
}

// A faulted VMA moved by mremap keeps its pgoff, so a fresh neighbour is not
// linear with it and cannot share its anon_vma.
//
//   page  100  104  108
//   P     1111 ----      [100,104) pgoff A+0 a1 | [104,108) pgoff A+104
//   P     1111 2222      write 104 -> a new root a2
TEST(NeighbourReuse, ANeighbourWithNonLinearPgoffIsNotReused) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 4\n"
      "P write 0\n"
      "P mremap 0 4 100 4\n"
      "P mmap 104 4");  // not merged either (kernel: C3.rml L19)

  Step st = s.op("P write 104");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{1, 0, 1, 0}));  // kernel: §11 row 8, C3.rml L20
  EXPECT_EQ(st.events, (Lines{"+c3 __anon_vma_prepare", "+a2 __anon_vma_prepare"}));
  EXPECT_EQ(s.maps("P"), (Lines{"[100-104) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1",
                                "[104-108) rw-p pgoff=A+104 flags=ac anon_vma=a2 chain=c3:a2"}));
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[100-104)",
                   "a2 root=a2 parent=a2 refcount=1 num_children=1 num_active_vmas=1 "
                   "tree=P[104-108)"}));
  EXPECT_EQ(s.page("P", 100), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("P", 104), "f2 mapping=a2 index=A+104 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=2 folio=2");
}

// ---------------------------------------------------------------------------
// Copy-on-write: copy while shared, reuse once alone

// P wrote pages 0-3 and forked C: both map f1..f4 (mapcount 2, not
// exclusive). A write in C copies the page into a new folio under C's own
// anon_vma; P's page stays, now mapped once but still not PG_anon_exclusive
// (only P's own write fault would mark it again).
TEST(CopyOnWrite, ChildWriteToASharedPageCopiesIt) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C");

  Step st = s.op("C write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 18, B.rml L9
  EXPECT_EQ(st.events, Lines{});
  // kernel: B.rml L10-11, C's page 0 has a new PFN (map=1), P keeps the old one (map=1).
  EXPECT_EQ(s.page("C", 0), "f5 mapping=a2 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=0");
  EXPECT_EQ(s.page("C", 1), "f2 mapping=a1 index=A+1 mapcount=2 excl=0");
  EXPECT_EQ(s.page("P", 1), "f2 mapping=a1 index=A+1 mapcount=2 excl=0");
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.maps("C"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  EXPECT_EQ(s.anon_vmas(),
            (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=1 "
                   "tree=P[0-16),C[0-16)",
                   "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 "
                   "tree=C[0-16)"}));
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=5");
}

TEST(CopyOnWrite, ParentWriteToASharedPageCopiesIt) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C\nC write 0");

  Step st = s.op("P write 1");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 18, B.rml L12
  EXPECT_EQ(st.events, Lines{});
  // kernel: B.rml L13, P's page 1 has a new PFN with map=1.
  EXPECT_EQ(s.page("P", 1), "f6 mapping=a1 index=A+1 mapcount=1 excl=1");
  EXPECT_EQ(s.page("C", 1), "f2 mapping=a1 index=A+1 mapcount=1 excl=0");
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=0");
  EXPECT_EQ(s.page("C", 0), "f5 mapping=a2 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.live(), "anon_vma=2 avc=3 vma=2 folio=6");
}

// Once the sharer has exited the writer's PTE is the only reference: the
// page is reused in place (same folio), and marked exclusive again.
TEST(CopyOnWrite, WriteAfterTheSharerExitedReusesThePage) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C\nC exit");

  Step st = s.op("P write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: §11 row 19, B2.rml L7
  EXPECT_EQ(st.events, Lines{});
  // kernel: B2.rml L8, same PFN as before the fork (L5).
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("P", 1), "f2 mapping=a1 index=A+1 mapcount=1 excl=0");
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// A reused page moves to the writer's own anon_vma (folio_move_anon_rmap):
// C inherited f1 from P (mapping a1); after P exits, C's write reuses it and
// f1->mapping becomes C's a2. The index never changes.
//
// kernel: measured with the field-guide harness (reuse = same PFN):
//   1 spawn P / 2 P mmap 0 8 / 3 P write 0 2 / 4 P fork C / 5 P exit
//   6 shell ./pfn.py %C 0 2 / 7 C write 0 (0 0 0 0) / 8 shell ./pfn.py %C 0 2
// L6 and L8 print the same PFN for page 0. The mapping itself is §4.1-§4.2.
TEST(CopyOnWrite, ReuseMovesTheFolioToTheWritersAnonVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0 2\nP fork C\nP exit");
  ASSERT_EQ(s.page("C", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=0");

  Step st = s.op("C write 0");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // kernel: measured above, L7
  EXPECT_EQ(st.events, Lines{});
  EXPECT_EQ(s.page("C", 0), "f1 mapping=a2 index=A+0 mapcount=1 excl=1");
  EXPECT_EQ(s.page("C", 1), "f2 mapping=a1 index=A+1 mapcount=1 excl=0");
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c3:a2,c2:a1"});
  // P's exit left a1 linked only through C's clone AVC (§1.1 refcount).
  EXPECT_EQ(
      s.anon_vmas(),
      (Lines{"a1 root=a1 parent=a1 refcount=2 num_children=2 num_active_vmas=0 tree=C[0-8)",
             "a2 root=a1 parent=a1 refcount=1 num_children=0 num_active_vmas=1 tree=C[0-8)"}));
  // The walk now starts from a2 (§4.2: the smaller subtree).
  EXPECT_EQ(s.rmap("C", 0), Lines{"C[0-8)@0 maps"});
  EXPECT_EQ(s.live(), "anon_vma=2 avc=2 vma=1 folio=2");
}

// ---------------------------------------------------------------------------
// unlink_anon_vmas: pass 1 frees the AVCs of trees that stay non-empty; pass 2
// puts each emptied anon_vma and frees its AVC, children before parents.

// P -> C -> D, C exits, D forks F (F reuses C's a2), D exits. F is now the
// only VMA linked to a3 (D's) and a2; a1 still holds P.
//
//   F's chain  [c9:a3, c8:a2, c7:a1]
//   pass 1     c9: tree(a3) empties -> keep   c8: tree(a2) empties -> keep
//              c7: tree(a1) still has P -> free
//   pass 2     put a3 -> free, free c9;  put a2 -> free, free c8
TEST(UnlinkAnonVmas, PassOneFreesThenPassTwoPutsAndFreesPairs) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 16\n"
      "P write 0 4\n"
      "P fork C\n"
      "C fork D\n"
      "C exit\n"
      "D fork F\n"
      "D exit");

  Step st = s.op("F exit");

  EXPECT_EQ(st.result, "ok");
  EXPECT_EQ(st.counts, (Counts{0, 2, 0, 3}));  // kernel: §11 row 26, B.rml L18
  // kernel: B.rml L18 trace "Favc(A's) Fav(D's) Favc Fav(C's) Favc".
  EXPECT_EQ(st.events, (Lines{"-c7 unlink_anon_vmas", "-a3 __put_anon_vma", "-c9 unlink_anon_vmas",
                              "-a2 __put_anon_vma", "-c8 unlink_anon_vmas"}));
  EXPECT_FALSE(s.alive("F"));
  EXPECT_EQ(s.maps("P"), Lines{"[0-16) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c1:a1"});
  // The freed children returned their references on the root (§1.1).
  EXPECT_EQ(s.anon_vmas(),
            Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 num_active_vmas=1 tree=P[0-16)"});
  EXPECT_EQ(s.page("P", 0), "f1 mapping=a1 index=A+0 mapcount=1 excl=0");
  EXPECT_EQ(s.live(), "anon_vma=1 avc=1 vma=1 folio=4");
}

// ---------------------------------------------------------------------------
// The rmap walk (rmap_walk_anon, §9): every VMA in the folio's anon_vma tree
// whose range covers the folio's index, in tree order, whether it maps the
// folio or not.

TEST(RmapWalk, AfterForkVisitsParentThenChildBothMapping) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C");

  // Equal keys keep insertion order (the kernel's interval tree links an
  // equal start to the right), so P's AVC comes before C's.
  EXPECT_EQ(s.rmap("P", 2), (Lines{"P[0-16)@2 maps", "C[0-16)@2 maps"}));
  EXPECT_EQ(s.rmap("C", 2), (Lines{"P[0-16)@2 maps", "C[0-16)@2 maps"}));
}

// §9.3: the tree holds every VMA linked to the anon_vma, not every VMA mapping
// the folio: after C's copy, P's old folio still finds C as a candidate.
TEST(RmapWalk, AfterTheChildsCopyTheParentsWalkStillVisitsTheChild) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C");

  s.op("C write 0");

  EXPECT_EQ(s.rmap("P", 0), (Lines{"P[0-16)@0 maps", "C[0-16)@0 no"}));
  EXPECT_EQ(s.rmap("C", 0), Lines{"C[0-16)@0 maps"});  // a2's tree holds only C
}

// §9.3: a folio COWed in the parent after a fork is attached to the parent's
// anon_vma, whose tree also holds the child, which maps the old folio.
TEST(RmapWalk, AfterTheParentsCopyItsNewFolioStillFindsTheChild) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 4\nP fork C");

  s.op("P write 1");

  EXPECT_EQ(s.page("P", 1), "f5 mapping=a1 index=A+1 mapcount=1 excl=1");
  EXPECT_EQ(s.rmap("P", 1), (Lines{"P[0-16)@1 maps", "C[0-16)@1 no"}));
  EXPECT_EQ(s.rmap("C", 1), (Lines{"P[0-16)@1 no", "C[0-16)@1 maps"}));
}

// The interval query: only VMAs whose [vm_pgoff, vm_pgoff+pages-1] covers the
// folio's index are candidates.
//
//   page  0123456789012345
//   P     1111    11111111   after munmap 4 4
TEST(RmapWalk, OnlyVmasCoveringTheIndexAreCandidates) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 16\nP write 0 16\nP munmap 4 4");

  EXPECT_EQ(s.rmap("P", 9), Lines{"P[8-16)@9 maps"});
  EXPECT_EQ(s.rmap("P", 1), Lines{"P[0-4)@1 maps"});
}

// The tree is ordered by pgoff, not by address: a moved piece sorts by the
// pgoff it kept.
//
//   page  100 102 104   ...   200
//   P     11      1111        11    [200,202) keeps pgoff A+2
TEST(RmapWalk, TreeOrderFollowsPgoffNotAddress) {
  Scenario s;
  s.setup("spawn P\nP mmap 100 8\nP write 100 8\nP mremap 102 2 200 2");

  EXPECT_EQ(s.anon_vmas(), Lines{"a1 root=a1 parent=a1 refcount=1 num_children=1 "
                                 "num_active_vmas=3 tree=P[100-102),P[200-202),P[104-108)"});
  EXPECT_EQ(s.rmap("P", 200), Lines{"P[200-202)@200 maps"});
}

// §9.3: a VMA that reused an ancestor is linked into that ancestor's tree
// together with the other descendants that cloned it. F reused C's a2, so a
// new page in F is attached to a2, whose tree still holds D.
TEST(RmapWalk, AFolioOfAReusingChildFindsItsRelatives) {
  Scenario s;
  s.setup(
      "spawn P\n"
      "P mmap 0 16\n"
      "P write 0 4\n"
      "P fork C\n"
      "C fork D\n"
      "C exit\n"
      "D fork F");

  Step st = s.op("F write 5");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.page("F", 5), "f5 mapping=a2 index=A+5 mapcount=1 excl=1");
  EXPECT_EQ(s.rmap("F", 5), (Lines{"D[0-16)@5 no", "F[0-16)@5 maps"}));
}

}  // namespace
}  // namespace rmaplab::model::testing
