// Specification of the intrusive interval tree (model/interval_tree.h): the
// structure that holds an anon_vma's AVCs, ordered and queried like Linux's.
#include "model/interval_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace rmaplab::model {
namespace {

// validate() failed and its sentence names the violation. (GoogleTest only:
// the project's tests do not link gmock.)
::testing::AssertionResult Reports(const std::string& error, const std::string& what) {
  if (error.find(what) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "validate() returned \"" << error << "\", expected it to mention \"" << what << "\"";
}

// The node is deliberately not the first member, so owner() must subtract
// a real offset.
struct Item {
  std::uint64_t start = 0;
  std::uint64_t last = 0;
  int id = 0;
  interval_node node;
};

struct ItemTraits {
  static std::uint64_t start(const Item& i) { return i.start; }
  static std::uint64_t last(const Item& i) { return i.last; }
};

using Tree = interval_tree<Item, &Item::node, ItemTraits>;

std::vector<const Item*> InOrder(const Tree& t) {
  std::vector<const Item*> out;
  t.for_each([&](Item& i) { out.push_back(&i); });
  return out;
}

std::vector<const Item*> Overlaps(const Tree& t, std::uint64_t qs, std::uint64_t ql) {
  std::vector<const Item*> out;
  t.for_each_overlap(qs, ql, [&](Item& i) { out.push_back(&i); });
  return out;
}

std::vector<const Item*> OverlapsByIter(const Tree& t, std::uint64_t qs, std::uint64_t ql) {
  std::vector<const Item*> out;
  for (Item* i = t.iter_first(qs, ql); i; i = t.iter_next(*i, qs, ql)) out.push_back(i);
  return out;
}

std::vector<int> Ids(const std::vector<const Item*>& v) {
  std::vector<int> ids;
  for (const Item* i : v) ids.push_back(i->id);
  return ids;
}

int Height(const rb_node* n) { return n ? 1 + std::max(Height(n->left), Height(n->right)) : 0; }

const rb_node* RootOf(const Item& i) {
  const rb_node* n = &i.node.rb;
  while (detail::rb_parent(n)) n = detail::rb_parent(n);
  return n;
}

// --- Layout: the kernel's memory cost -------------------------------------

struct FakeVma {
  std::uint64_t pgoff = 0;
  std::uint64_t pages = 0;
};

// Same shape as the kernel's struct anon_vma_chain.
struct FakeAvc {
  void* vma;
  void* anon_vma;
  void* prev;  // same_vma list linkage
  void* next;
  interval_node rb;
};

struct AvcTraits {
  static std::uint64_t start(const FakeAvc& a) { return static_cast<FakeVma*>(a.vma)->pgoff; }
  static std::uint64_t last(const FakeAvc& a) {
    auto* v = static_cast<FakeVma*>(a.vma);
    return v->pgoff + v->pages - 1;
  }
};

using AvcTree = interval_tree<FakeAvc, &FakeAvc::rb, AvcTraits>;

TEST(IntervalTreeLayout, NodeIs32BytesAnAvcIs64AndTheHeaderIs16) {
  EXPECT_EQ(sizeof(rb_node), 24u);
  EXPECT_EQ(sizeof(interval_node), 32u);
  EXPECT_EQ(sizeof(FakeAvc), 64u);
  EXPECT_EQ(sizeof(AvcTree), 16u);  // root + cached leftmost, like rb_root_cached
}

TEST(IntervalTreeLayout, AvcsKeyedThroughTheirVmaAnswerPageQueries) {
  FakeVma vmas[3] = {{0, 4}, {2, 1}, {10, 6}};  // [0,3] [2,2] [10,15]
  FakeAvc avcs[3] = {};
  AvcTree tree;
  for (int i = 0; i < 3; ++i) {
    avcs[i].vma = &vmas[i];
    tree.insert(avcs[i]);
  }
  std::vector<const FakeAvc*> hits;
  tree.for_each_overlap(2, 2, [&](FakeAvc& a) { hits.push_back(&a); });
  EXPECT_EQ(hits, (std::vector<const FakeAvc*>{&avcs[0], &avcs[1]}));
  hits.clear();
  tree.for_each_overlap(4, 9, [&](FakeAvc& a) { hits.push_back(&a); });
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(tree.validate(), "");
}

// --- Basics ------------------------------------------------------------------

TEST(IntervalTree, EmptyTreeHasNothingAndIsValid) {
  Tree t;
  Item stranger{1, 2, 1, {}};
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.first(), nullptr);
  EXPECT_EQ(t.iter_first(0, UINT64_MAX), nullptr);
  EXPECT_TRUE(InOrder(t).empty());
  EXPECT_TRUE(Overlaps(t, 0, UINT64_MAX).empty());
  EXPECT_FALSE(t.contains(stranger));
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTree, EraseLeavesTheNodeUnlinkedAndTheTreeEmpty) {
  Tree t;
  Item a{3, 7, 1, {}};
  t.insert(a);
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(t.contains(a));
  EXPECT_EQ(t.first(), &a);
  EXPECT_EQ(t.next(a), nullptr);
  EXPECT_EQ(a.node.subtree_last, 7u);
  EXPECT_EQ(t.validate(), "");
  t.erase(a);
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.contains(a));
  EXPECT_EQ(a.node.rb.parent_color, 0u);
  EXPECT_EQ(a.node.rb.left, nullptr);
  EXPECT_EQ(a.node.rb.right, nullptr);
  EXPECT_EQ(t.first(), nullptr);
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTree, InOrderIsByStartWhateverTheInsertionOrder) {
  Tree t;
  std::vector<Item> items;
  for (int s : {50, 10, 40, 20, 30, 0, 60})
    items.push_back({std::uint64_t(s), std::uint64_t(s + 5), s, {}});
  for (Item& i : items) t.insert(i);
  EXPECT_EQ(Ids(InOrder(t)), (std::vector<int>{0, 10, 20, 30, 40, 50, 60}));
  EXPECT_EQ(t.first()->id, 0);
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTree, EqualStartsStayInInsertionOrder) {
  Tree t;
  Item a{5, 9, 1, {}}, b{5, 6, 2, {}}, c{5, 20, 3, {}}, before{4, 4, 0, {}}, after{6, 6, 4, {}};
  for (Item* i : {&a, &after, &b, &before, &c}) t.insert(*i);
  EXPECT_EQ(Ids(InOrder(t)), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTree, AReinsertedNodeGoesAfterItsEquals) {
  Tree t;
  Item a{5, 9, 1, {}}, b{5, 9, 2, {}}, c{5, 9, 3, {}};
  for (Item* i : {&a, &b, &c}) t.insert(*i);
  t.erase(a);
  t.insert(a);
  EXPECT_EQ(Ids(InOrder(t)), (std::vector<int>{2, 3, 1}));
  t.erase(c);
  t.insert(c);
  EXPECT_EQ(Ids(InOrder(t)), (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTree, FirstAndNextWalkTheWholeTreeInOrder) {
  Tree t;
  std::vector<Item> items(100);
  for (int i = 0; i < 100; ++i)
    items[i] = {std::uint64_t((i * 37) % 100), std::uint64_t((i * 37) % 100), i, {}};
  for (Item& i : items) t.insert(i);
  std::uint64_t expect = 0;
  int n = 0;
  for (Item* i = t.first(); i; i = t.next(*i), ++expect, ++n) EXPECT_EQ(i->start, expect);
  EXPECT_EQ(n, 100);
}

TEST(IntervalTree, OverlapBoundsAreInclusiveAtBothEnds) {
  Tree t;
  Item a{5, 9, 1, {}};
  t.insert(a);
  EXPECT_EQ(Overlaps(t, 9, 9).size(), 1u);
  EXPECT_EQ(Overlaps(t, 5, 5).size(), 1u);
  EXPECT_EQ(Overlaps(t, 0, 5).size(), 1u);
  EXPECT_EQ(Overlaps(t, 9, 100).size(), 1u);
  EXPECT_EQ(Overlaps(t, 6, 7).size(), 1u);    // query inside the interval
  EXPECT_EQ(Overlaps(t, 0, 100).size(), 1u);  // interval inside the query
  EXPECT_TRUE(Overlaps(t, 0, 4).empty());
  EXPECT_TRUE(Overlaps(t, 10, 100).empty());
}

TEST(IntervalTree, OverlapQueryFindsLongIntervalsHiddenUnderShortOnes) {
  // A long interval early in the order must be found by a query far to its
  // right: only the subtree_last augmentation makes that possible.
  Tree t;
  std::vector<Item> items(64);
  for (int i = 0; i < 64; ++i) items[i] = {std::uint64_t(i * 10), std::uint64_t(i * 10 + 1), i, {}};
  items[3].last = 1000;
  items[40].last = 1000;
  for (Item& i : items) t.insert(i);
  EXPECT_EQ(Ids(Overlaps(t, 700, 700)), (std::vector<int>{3, 40}));
  EXPECT_EQ(Ids(Overlaps(t, 630, 631)), (std::vector<int>{3, 40, 63}));
}

TEST(IntervalTree, ContainsIsPerTree) {
  Tree t1, t2;
  Item a{1, 1, 1, {}}, b{2, 2, 2, {}}, loose{3, 3, 3, {}};
  t1.insert(a);
  t2.insert(b);
  EXPECT_TRUE(t1.contains(a));
  EXPECT_FALSE(t1.contains(b));  // b is a root too, but of another tree
  EXPECT_FALSE(t2.contains(a));
  EXPECT_FALSE(t1.contains(loose));
}

TEST(IntervalTree, MovingTheHeaderKeepsTheElements) {
  Tree t;
  Item a{1, 4, 1, {}}, b{2, 3, 2, {}};
  t.insert(a);
  t.insert(b);
  Tree moved(std::move(t));
  EXPECT_TRUE(t.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_TRUE(moved.contains(a));
  EXPECT_EQ(Ids(InOrder(moved)), (std::vector<int>{1, 2}));
  EXPECT_EQ(moved.validate(), "");
}

TEST(IntervalTree, AVisitorMayEraseTheElementItIsGiven) {
  Tree t;
  std::vector<Item> items(50);
  for (int i = 0; i < 50; ++i) items[i] = {std::uint64_t(i % 10), std::uint64_t(i % 10 + 2), i, {}};
  for (Item& i : items) t.insert(i);
  const auto expected = Ids(Overlaps(t, 4, 5));
  std::vector<int> seen;
  t.for_each_overlap(4, 5, [&](Item& i) {
    seen.push_back(i.id);
    t.erase(i);
  });
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(Overlaps(t, 4, 5).empty());
  EXPECT_EQ(t.validate(), "");
  t.for_each([&](Item& i) { t.erase(i); });
  EXPECT_TRUE(t.empty());
}

// --- Against a brute-force model -------------------------------------------

// The model is the expected in-order sequence: sorted by start, equal starts
// in insertion order (insert at upper_bound).
struct Model {
  std::vector<Item*> seq;

  void insert(Item* x) {
    auto at = std::upper_bound(seq.begin(), seq.end(), x->start,
                               [](std::uint64_t s, const Item* i) { return s < i->start; });
    seq.insert(at, x);
  }
  void erase(Item* x) { seq.erase(std::find(seq.begin(), seq.end(), x)); }
  std::vector<const Item*> all() const { return {seq.begin(), seq.end()}; }
  std::vector<const Item*> overlaps(std::uint64_t qs, std::uint64_t ql) const {
    std::vector<const Item*> out;
    for (const Item* i : seq)
      if (i->start <= ql && i->last >= qs) out.push_back(i);
    return out;
  }
};

TEST(IntervalTree, RandomInsertsAndErasesMatchABruteForceModelAtEveryStep) {
  constexpr int kPool = 160;
  constexpr int kSteps = 6000;
  int erased_root = 0, erased_leaf = 0, erased_one_child = 0, erased_two_children = 0,
      erased_first = 0;
  int nonempty_queries = 0;

  for (std::uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    auto below = [&](std::uint64_t n) {
      return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
    };
    auto pool = std::make_unique<Item[]>(kPool);
    for (int i = 0; i < kPool; ++i) pool[i].id = i;
    std::vector<Item*> out_of_tree;
    for (int i = 0; i < kPool; ++i) out_of_tree.push_back(&pool[i]);
    Tree t;
    Model m;

    for (int step = 0; step < kSteps; ++step) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
      // Fill and drain in waves so the tree is often empty, small and full.
      const bool growing = (step / 400) % 2 == 0;
      const bool do_insert =
          m.seq.empty() || (!out_of_tree.empty() && below(100) < (growing ? 75u : 25u));
      if (do_insert) {
        const std::size_t k = below(out_of_tree.size());
        Item* x = out_of_tree[k];
        out_of_tree.erase(out_of_tree.begin() + k);
        // Few distinct starts: many ties. Occasionally a long interval.
        x->start = below(40);
        x->last = x->start + (below(10) == 0 ? below(200) : below(6));
        t.insert(*x);
        m.insert(x);
      } else {
        Item* x = m.seq[below(m.seq.size())];
        const rb_node* n = &x->node.rb;
        if (!detail::rb_parent(n)) ++erased_root;
        if (!n->left && !n->right)
          ++erased_leaf;
        else if (n->left && n->right)
          ++erased_two_children;
        else
          ++erased_one_child;
        if (x == m.seq.front()) ++erased_first;
        t.erase(*x);
        m.erase(x);
        out_of_tree.push_back(x);
      }

      ASSERT_EQ(t.validate(), "");
      ASSERT_EQ(t.empty(), m.seq.empty());
      ASSERT_EQ(InOrder(t), m.all());
      ASSERT_EQ(t.first(), m.seq.empty() ? nullptr : m.seq.front());
      for (int i = 0; i < kPool; ++i) {
        const bool in_model = std::find(m.seq.begin(), m.seq.end(), &pool[i]) != m.seq.end();
        ASSERT_EQ(t.contains(pool[i]), in_model) << "item " << i;
      }
      for (int q = 0; q < 3; ++q) {
        const std::uint64_t qs = below(260);
        const std::uint64_t ql = qs + (q == 0 ? 0 : below(20));  // q == 0: a point query
        const auto expect = m.overlaps(qs, ql);
        ASSERT_EQ(Overlaps(t, qs, ql), expect) << "query [" << qs << ", " << ql << "]";
        ASSERT_EQ(OverlapsByIter(t, qs, ql), expect) << "query [" << qs << ", " << ql << "]";
        nonempty_queries += !expect.empty();
      }
    }
  }
  // The run exercised every erase shape, not just the easy ones.
  EXPECT_GT(erased_root, 50);
  EXPECT_GT(erased_leaf, 500);
  EXPECT_GT(erased_one_child, 200);
  EXPECT_GT(erased_two_children, 500);
  EXPECT_GT(erased_first, 50);
  EXPECT_GT(nonempty_queries, 5000);
}

// --- The checker can fail --------------------------------------------------

// A valid tree of n items with distinct starts 0..n-1 (inserted shuffled).
struct Built {
  std::unique_ptr<Item[]> items;
  Tree tree;
  explicit Built(int n) : items(std::make_unique<Item[]>(n)) {
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    for (int i : order) {
      items[i] = {std::uint64_t(i), std::uint64_t(i + 3), i, {}};
      tree.insert(items[i]);
    }
  }
};

TEST(IntervalTreeValidate, ReportsACorruptedSubtreeLast) {
  Built b(50);
  ASSERT_EQ(b.tree.validate(), "");
  b.items[20].node.subtree_last += 1;
  EXPECT_TRUE(Reports(b.tree.validate(), "subtree_last"));
}

TEST(IntervalTreeValidate, ReportsARedNodeWithARedParent) {
  Built b(50);
  // Pick a non-root node with a child and paint both red.
  Item* p = nullptr;
  for (int i = 0; i < 50 && !p; ++i) {
    const rb_node& n = b.items[i].node.rb;
    if (detail::rb_parent(&n) && n.left) p = &b.items[i];
  }
  ASSERT_NE(p, nullptr);
  detail::rb_set_red(&p->node.rb);
  detail::rb_set_red(p->node.rb.left);
  EXPECT_TRUE(Reports(b.tree.validate(), "has a red parent"));
}

TEST(IntervalTreeValidate, ReportsABrokenParentLink) {
  Built b(50);
  Item* child = nullptr;
  for (int i = 0; i < 50 && !child; ++i)
    if (detail::rb_parent(&b.items[i].node.rb) &&
        detail::rb_parent(detail::rb_parent(&b.items[i].node.rb)))
      child = &b.items[i];
  ASSERT_NE(child, nullptr);
  // Point it at its grandparent instead of its parent.
  detail::rb_set_parent(&child->node.rb, detail::rb_parent(detail::rb_parent(&child->node.rb)));
  EXPECT_TRUE(Reports(b.tree.validate(), "parent link"));
}

TEST(IntervalTreeValidate, ReportsUnequalBlackHeights) {
  Built b(50);
  // A black leaf with a black parent: painting it red breaks only the black
  // height at its parent.
  Item* leaf = nullptr;
  for (int i = 0; i < 50 && !leaf; ++i) {
    const rb_node* n = &b.items[i].node.rb;
    if (!n->left && !n->right && detail::rb_is_black(n) && detail::rb_parent(n) &&
        detail::rb_is_black(detail::rb_parent(n)))
      leaf = &b.items[i];
  }
  ASSERT_NE(leaf, nullptr);
  detail::rb_set_red(&leaf->node.rb);
  EXPECT_TRUE(Reports(b.tree.validate(), "black height"));
}

TEST(IntervalTreeValidate, ReportsARedRoot) {
  Built b(5);
  rb_node* root = const_cast<rb_node*>(RootOf(b.items[0]));
  detail::rb_set_red(root);
  EXPECT_TRUE(Reports(b.tree.validate(), "root"));
}

TEST(IntervalTreeValidate, ReportsAStartChangedWhileLinked) {
  Built b(50);
  // Breaking the contract: the key moves under the tree's feet.
  b.items[10].start = 45;
  EXPECT_TRUE(Reports(b.tree.validate(), "starts before"));
}

TEST(IntervalTreeValidate, ReportsALoopInTheChildLinks) {
  Built b(50);
  rb_node* root = const_cast<rb_node*>(RootOf(b.items[0]));
  rb_node* leaf = root;
  while (leaf->left) leaf = leaf->left;
  leaf->left = root;  // a cycle: the walk must stop, not recurse forever
  const std::string error = b.tree.validate();
  leaf->left = nullptr;
  EXPECT_FALSE(error.empty());
}

// --- Complexity ---------------------------------------------------------------

TEST(IntervalTreeScale, HeightStaysLogarithmicForSortedInserts) {
  // Sorted inserts are the worst case for an unbalanced search tree.
  constexpr int kN = 100000;
  auto items = std::make_unique<Item[]>(kN);
  Tree t;
  for (int i = 0; i < kN; ++i) {
    items[i] = {std::uint64_t(i), std::uint64_t(i), i, {}};
    t.insert(items[i]);
  }
  const int h = Height(RootOf(items[0]));
  EXPECT_LE(h, 2 * std::log2(kN + 1));  // the red-black bound
  EXPECT_EQ(t.validate(), "");
}

TEST(IntervalTreeScale, HundredThousandInsertsQueriesAndErasesAreFast) {
  constexpr int kN = 100000;
  auto items = std::make_unique<Item[]>(kN);
  std::mt19937_64 rng(42);
  for (int i = 0; i < kN; ++i) {
    const std::uint64_t s = rng() % 1000000;
    items[i] = {s, s + rng() % 64, i, {}};
  }
  std::vector<int> order(kN);
  for (int i = 0; i < kN; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);

  const auto t0 = std::chrono::steady_clock::now();
  Tree t;
  for (int i = 0; i < kN; ++i) t.insert(items[i]);
  std::size_t hits = 0;
  for (int q = 0; q < 10000; ++q) {
    const std::uint64_t p = rng() % 1000000;
    t.for_each_overlap(p, p, [&](Item&) { ++hits; });
  }
  for (int i : order) t.erase(items[i]);
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  EXPECT_TRUE(t.empty());
  EXPECT_GT(hits, 0u);
  EXPECT_LT(ms, 1000.0) << "100k inserts + 10k queries + 100k erases took " << ms << " ms";
}

}  // namespace
}  // namespace rmaplab::model
