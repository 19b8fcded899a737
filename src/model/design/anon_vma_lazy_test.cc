// The anon-vma-lazy design's distinguishing behaviour, against 6.18's
// measured counts. The lazy values follow the series' rules
// (shared/docs/designs-2026.md §1.2: item 2, no anon_vma at first fault;
// item 5, materialisation at fork in the parent, children inherit without
// an anon_vma of their own); the 6.18 values are the kernel's
// (shared/docs/kernel-field-guide.md §11).
#include <gtest/gtest.h>

#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

TEST(AnonVmaLazy, FirstFaultAllocatesNothingWhere618AllocatesARootAndItsAvc) {
  Scenario lazy(anon_vma_lazy());
  Scenario linux(linux_6_18());
  for (Scenario* s : {&lazy, &linux}) s->setup("spawn P\nP mmap 0 8");

  EXPECT_EQ(lazy.op("P write 0 8").counts, (Counts{0, 0, 0, 0}));   // §1.2 item 2
  EXPECT_EQ(linux.op("P write 0 8").counts, (Counts{1, 0, 1, 0}));  // §11: a root and its AVC
  EXPECT_EQ(lazy.maps("P"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=- chain=-"});
  const folio* f = lazy.folio_at("P", 5);
  EXPECT_EQ(f->lazy_mm, lazy.mm("P"));  // the folio points at its VMA (§1.2 item 3)
  EXPECT_EQ(f->mapping, nullptr);
  EXPECT_EQ(lazy.rmap("P", 5), Lines{"P[0-8)@5 maps"});
}

TEST(AnonVmaLazy, ASplitKeepsLazyFoliosFindable) {
  Scenario s(anon_vma_lazy());
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P mprotect 2 2 r");  // three VMAs, still no anon_vma

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.rmap("P", 3), Lines{"P[2-4)@3 maps"});  // the mapping base is kept (§1.2 item 4)
}

TEST(AnonVmaLazy, ForkMaterialisesTheParentAndTheChildInheritsWithoutItsOwn) {
  Scenario s(anon_vma_lazy());
  s.setup("spawn P\nP mmap 0 8\nP write 0 8");

  Step st = s.op("P fork C");

  // The parent's VMA is upgraded (a root and its AVC), the child's VMA
  // links to it with one AVC and allocates no anon_vma (§1.2 item 5). 6.18
  // allocated the root at the first fault and gives the child its own
  // anon_vma and AVC: (1,0,2,0) at the fork (§11), (2,0,3,0) in all.
  EXPECT_EQ(st.counts, (Counts{1, 0, 2, 0}));
  EXPECT_EQ(s.live(), "anon_vma=1 avc=2 vma=2 folio=8");
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"});
  EXPECT_TRUE(s.vma("C", 0)->lazy_parent);
  EXPECT_EQ(s.folio_at("P", 0)->mapping, s.av(1));  // repointed (try_dup_anon_rmap)
  EXPECT_EQ(s.rmap("C", 4), (Lines{"P[0-8)@4 maps", "C[0-8)@4 maps"}));
}

TEST(AnonVmaLazy, TheChildsCopiesAreLazyUntilItForks) {
  Scenario s(anon_vma_lazy());
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C");

  EXPECT_EQ(s.op("C write 0").counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.folio_at("C", 0)->lazy_mm, s.mm("C"));

  // C forks: its inherited VMA needs an anon_vma of its own. The root is
  // P's VMA's, so it gets a new child of it, with its AVC, and D's VMA
  // links to both with two AVCs.
  Step st = s.op("C fork D");
  EXPECT_EQ(st.counts, (Counts{1, 0, 3, 0}));
  EXPECT_FALSE(s.vma("C", 0)->lazy_parent);
  EXPECT_EQ(s.folio_at("C", 0)->mapping, s.vma("C", 0)->anon_vma);
  EXPECT_EQ(s.rmap("D", 0), (Lines{"C[0-8)@0 maps", "D[0-8)@0 maps"}));
}

TEST(AnonVmaLazy, AnInheritedVmaTakesAnUnusedAnonVmaOnItsChain) {
  // P forks C, C forks D, C exits: C's anon_vma is left with no VMA of its
  // own. When D forks, its inherited VMA reuses it (6.18's rule, D itself
  // not counted), so the family does not grow: the 2015 bug stays fixed.
  Scenario s(anon_vma_lazy());
  s.setup("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC fork D\nC exit");

  Step st = s.op("D fork E");

  EXPECT_EQ(st.counts, (Counts{0, 0, 2, 0}));  // E's two AVCs, no anon_vma
  EXPECT_EQ(s.vma("D", 0)->anon_vma, s.av(2));  // C's, reused
}

TEST(AnonVmaLazy, MremapUpgradesAVmaWithLazyFolios) {
  Scenario s(anon_vma_lazy());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4");

  Step st = s.op("P mremap 0 4 100 4");

  // Moving changes the mapping base, which the lazy walk relies on: the
  // VMA gets an anon_vma first (a choice, anon_vma_lazy.cc).
  EXPECT_EQ(st.counts, (Counts{1, 0, 2, 1}));
  EXPECT_EQ(s.rmap("P", 101), Lines{"P[100-104)@101 maps"});
}

}  // namespace
}  // namespace rmaplab::model::testing
