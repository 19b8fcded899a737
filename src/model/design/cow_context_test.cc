// The cow-context design's distinguishing behaviour. Expected values come
// from the design's rules as the proof of concept codes them
// (shared/docs/designs-2026.md §2.2-2.3, "§2.3 fork" is a row of its table),
// not from the model's output: no anon_vma and no AVC ever; one context per
// mm, under its parent's; a folio points at its creator's context and the
// walk visits that context and its descendants only.
#include <gtest/gtest.h>

#include "model/design/cow_context.h"
#include "testing/scenario.h"

namespace rmaplab::model::testing {
namespace {

std::uint64_t live_contexts(const Scenario& s) {
  return const_cast<Scenario&>(s).machine().rmap().objects().at(0).live();
}

TEST(CowContext, FirstFaultAllocatesNoAnonVmaAndNoAvc) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 8");
  EXPECT_EQ(live_contexts(s), 1u);  // §2.3 mm creation: mm_init_cow_context

  Step st = s.op("P write 0 8");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));  // §2.2: "No AVCs and no anon_vma objects"
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=1 folio=8");
  const folio* f = s.folio_at("P", 3);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->cow_context, s.mm("P")->cow_context);  // §2.2 __folio_set_anon_cow
  EXPECT_EQ(f->mapping, nullptr);
  // The creator's context: its mm plus eight folios.
  EXPECT_EQ(s.mm("P")->cow_context->refcnt, 9);
}

TEST(CowContext, ForkHangsTheChildsContextUnderTheParents) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4");

  Step st = s.op("P fork C");

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  const cow_context* p = s.mm("P")->cow_context;
  const cow_context* c = s.mm("C")->cow_context;
  EXPECT_EQ(c->parent, p);  // §2.3 fork: dup_cow_context
  ASSERT_EQ(p->children.size(), 1u);
  EXPECT_EQ(p->children[0], c);
  EXPECT_EQ(p->refcnt, 1 + 1 + 4);  // mm, child, four folios
  EXPECT_EQ(c->refcnt, 1);          // its mm: the shared folios stay the parent's
  EXPECT_EQ(live_contexts(s), 2u);
}

TEST(CowContext, TheWalkVisitsTheCreatorAndItsDescendantsButNoAncestor) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\nC write 1");
  // Page 0 is P's folio, shared with C: both are found, P's first.
  EXPECT_EQ(s.rmap("P", 0), (Lines{"P[0-4)@0 maps", "C[0-4)@0 maps"}));
  // Page 1 of C is C's copy: its context is C's, and P (an ancestor) is not
  // visited (§2.3 rmap walk, step 1); the folio is exclusive, so the walk
  // stops at its own context (step 3).
  EXPECT_EQ(s.folio_at("C", 1)->cow_context, s.mm("C")->cow_context);
  EXPECT_EQ(s.rmap("C", 1), Lines{"C[0-4)@1 maps"});
}

TEST(CowContext, ReuseMovesTheFolioToTheWritersContext) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\nP exit");

  Step st = s.op("C write 0");  // C maps it alone now: wp reuse

  EXPECT_EQ(st.counts, (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s.folio_at("C", 0)->cow_context, s.mm("C")->cow_context);  // folio_move_anon_rmap
  // P's context outlives P: C's context and three folios still hold it.
  EXPECT_EQ(live_contexts(s), 2u);
  EXPECT_EQ(s.mm("C")->cow_context->parent->mm, nullptr);  // drop_cow_context
  EXPECT_EQ(s.mm("C")->cow_context->parent->refcnt, 1 + 3);
}

TEST(CowContext, TheLastExitFreesEveryContextUpTheTree) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\nC fork D\nP exit\nC exit");
  EXPECT_EQ(live_contexts(s), 3u);  // D's folios and D's context hold P's and C's

  s.op("D exit");

  EXPECT_EQ(live_contexts(s), 0u);  // __put_cow_context cascades to the root
  EXPECT_EQ(s.live(), "anon_vma=0 avc=0 vma=0 folio=0");
}

TEST(CowContext, AMovedVmaIsFoundThroughItsRemapOffset) {
  Scenario s(cow_context_profile());
  s.setup("spawn P\nP mmap 0 4\nP write 0 4\nP fork C");

  s.op("C mremap 0 4 100 4");

  // The folios keep their index; C's VMA now has offset 100 (§2.2 Remaps),
  // which the walk of P's folio looks up in C's mm.
  EXPECT_EQ(s.rmap("P", 2), (Lines{"P[0-4)@2 maps", "C[100-104)@102 maps"}));
}

}  // namespace
}  // namespace rmaplab::model::testing
