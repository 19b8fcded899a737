// An intrusive augmented interval tree: the model of Linux's
// interval_tree_generic as instantiated for anon_vma->rb_root.
//
// What it models. Each anon_vma keeps its anon_vma_chains (AVCs) in an
// interval tree keyed by the linked VMA's page-offset range
// [vm_pgoff, vm_pgoff + pages - 1]; rmap walks ask it "which AVCs cover page
// offset p" (or a range). The kernel's tree is a red-black tree whose nodes
// carry the largest interval end of their subtree, so a query can skip whole
// subtrees that end before it. This is the same structure, written from the
// textbook (CLRS) red-black algorithms, so that the model visits AVCs in the
// same order as the kernel does.
//
// Ordering. In-order is by start; elements with equal starts stay in the
// order they were inserted, because an insert goes right on ties (a node
// that is erased and re-inserted therefore goes after its current equals).
// Rotations and erase never reorder, so this holds for the tree's lifetime.
//
// Complexity. insert, erase: O(log n). first: O(1) (leftmost is cached).
// next: O(log n) worst case, O(1) amortised over a full walk.
// iter_first / iter_next: O(log n) each, so visiting the k overlaps of a
// query costs O(min(n, (k + 1) log n)); when the overlaps are clustered in
// in-order, as they are for a point query on AVCs, it is O(log n + k).
// contains: O(log n). validate: O(n).
//
// Memory layout (64-bit hosts, like the kernel's):
//   rb_node        24 bytes  parent pointer with the colour in bit 0, left, right
//   interval_node  32 bytes  rb_node + subtree_last (the augmentation)
//   interval_tree  16 bytes  root + cached leftmost (rb_root_cached)
// The element embeds an interval_node, so an AVC-like struct of four pointers
// plus the node is 64 bytes, as in the kernel. The tree never allocates.
//
// Contract. An element's start/last must not change while it is linked (the
// caller erases, changes, re-inserts). An element is in at most one tree per
// embedded interval_node, and must outlive its membership. Inserting a node
// that is linked, or erasing one that is not in this tree, breaks a rule
// (RuleBroken, rule.h) in every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "model/rule.h"

namespace rmaplab::model {

// Linkage embedded in an element. parent_color holds the parent's address
// with the colour in bit 0 (1 = black); nodes are 8-byte aligned, so the low
// bits of a real address are free. A node not in any tree has all-zero links
// (the default, and what erase leaves behind).
struct rb_node {
  std::uintptr_t parent_color = 0;
  rb_node* left = nullptr;
  rb_node* right = nullptr;
};

struct interval_node {
  rb_node rb;                      // first, so an rb_node* is also the interval_node*
  std::uint64_t subtree_last = 0;  // max of last() over this node's subtree
};

static_assert(alignof(rb_node) >= 2, "bit 0 of a node address must be free for the colour");
static_assert(std::is_standard_layout_v<interval_node> && offsetof(interval_node, rb) == 0);
static_assert(sizeof(rb_node) == 24, "the model targets 64-bit hosts, like the kernel's rb_node");
static_assert(sizeof(interval_node) == 32, "an AVC must stay 64 bytes, as in the kernel");

namespace detail {

inline constexpr std::uintptr_t kBlack = 1;

inline rb_node* rb_parent(const rb_node* n) {
  return reinterpret_cast<rb_node*>(n->parent_color & ~kBlack);
}
// Empty subtrees count as black, as in CLRS's nil leaves.
inline bool rb_is_black(const rb_node* n) {
  return n == nullptr || (n->parent_color & kBlack) != 0;
}
inline bool rb_is_red(const rb_node* n) { return !rb_is_black(n); }
inline void rb_set_black(rb_node* n) { n->parent_color |= kBlack; }
inline void rb_set_red(rb_node* n) { n->parent_color &= ~kBlack; }
// Keeps n's colour.
inline void rb_set_parent(rb_node* n, rb_node* p) {
  n->parent_color = reinterpret_cast<std::uintptr_t>(p) | (n->parent_color & kBlack);
}
inline void rb_copy_color(rb_node* to, const rb_node* from) {
  to->parent_color = (to->parent_color & ~kBlack) | (from->parent_color & kBlack);
}
inline rb_node* rb_leftmost(rb_node* n) {
  while (n->left) n = n->left;
  return n;
}
// In-order successor, or null.
inline rb_node* rb_next(const rb_node* n) {
  if (n->right) return rb_leftmost(n->right);
  rb_node* p = rb_parent(n);
  while (p && n == p->right) {
    n = p;
    p = rb_parent(p);
  }
  return p;
}

}  // namespace detail

template <class T, interval_node T::*Member, class Traits>
class interval_tree {
 public:
  interval_tree() = default;
  // Copying would make two headers claim the same nodes.
  interval_tree(const interval_tree&) = delete;
  interval_tree& operator=(const interval_tree&) = delete;
  // Nodes never point at the header, so moving it is just moving two pointers.
  interval_tree(interval_tree&& o) noexcept
      : root_(std::exchange(o.root_, nullptr)), leftmost_(std::exchange(o.leftmost_, nullptr)) {}
  interval_tree& operator=(interval_tree&& o) noexcept {
    std::swap(root_, o.root_);
    std::swap(leftmost_, o.leftmost_);
    return *this;
  }

  bool empty() const { return root_ == nullptr; }

  // Links x after every element whose start is <= start(x).
  void insert(T& x) {
    rb_node* n = &(x.*Member).rb;
    // O(1), and stronger than !contains(x): x is in no tree at all.
    MODEL_RULE(!n->parent_color && !n->left && !n->right && n != root_,
               "interval tree node inserted twice",
               "The interval tree's {} is inserted while already linked in a tree.", describe(n));
    const std::uint64_t s = Traits::start(x);
    const std::uint64_t l = Traits::last(x);
    rb_node* parent = nullptr;
    rb_node** link = &root_;
    bool leftmost = true;
    while (*link) {
      parent = *link;
      // x will be in the subtree of every node on the way down.
      if (aug(parent) < l) aug(parent) = l;
      if (s < start_of(parent)) {
        link = &parent->left;
      } else {  // ties go right: x lands after its equals
        link = &parent->right;
        leftmost = false;
      }
    }
    n->parent_color = reinterpret_cast<std::uintptr_t>(parent);  // red
    n->left = n->right = nullptr;
    aug(n) = l;
    *link = n;
    if (leftmost) leftmost_ = n;
    insert_fixup(n);
  }

  // Unlinks x, which must be in this tree, and leaves its links zeroed.
  void erase(T& x) {
    rb_node* z = &(x.*Member).rb;
    // O(log n), as the erase is.
    MODEL_RULE(contains(x), "interval tree node erased from a tree it is not in",
               "The interval tree's {} is erased but is not in this tree.", describe(z));
    if (z == leftmost_) leftmost_ = detail::rb_next(z);

    rb_node* child;      // what moves into the removed black's place (may be null)
    rb_node* parent;     // child's parent after the splice
    bool removed_black;  // a black went missing on child's path
    if (!z->left || !z->right) {
      child = z->left ? z->left : z->right;
      parent = detail::rb_parent(z);
      removed_black = detail::rb_is_black(z);
      replace_child(parent, z, child);
      if (child) detail::rb_set_parent(child, parent);
    } else {
      // Two children: z's successor y (no left child) takes z's place and
      // colour, so the black goes missing where y used to be.
      rb_node* y = detail::rb_leftmost(z->right);
      child = y->right;
      removed_black = detail::rb_is_black(y);
      if (detail::rb_parent(y) == z) {
        parent = y;
      } else {
        parent = detail::rb_parent(y);
        parent->left = child;  // y was a leftmost, so a left child
        if (child) detail::rb_set_parent(child, parent);
        y->right = z->right;
        detail::rb_set_parent(y->right, y);
      }
      replace_child(detail::rb_parent(z), z, y);
      y->parent_color = z->parent_color;  // z's parent and z's colour
      y->left = z->left;
      detail::rb_set_parent(y->left, y);
    }
    // Every subtree that lost z (or had y moved out or in) is on the path
    // from parent to the root; y's value is stale, so no early stop.
    for (rb_node* p = parent; p; p = detail::rb_parent(p)) recompute(p);
    if (removed_black) erase_fixup(child, parent);

    z->parent_color = 0;
    z->left = z->right = nullptr;
  }

  T* first() const { return leftmost_ ? owner(leftmost_) : nullptr; }

  T* next(const T& x) const {
    rb_node* n = detail::rb_next(&(x.*Member).rb);
    return n ? owner(n) : nullptr;
  }

  // First element (in in-order) overlapping [qstart, qlast], or null.
  T* iter_first(std::uint64_t qstart, std::uint64_t qlast) const {
    if (!root_ || aug(root_) < qstart) return nullptr;  // everything ends before
    if (start_of(leftmost_) > qlast) return nullptr;    // everything starts after
    rb_node* n = subtree_first_overlap(root_, qstart, qlast);
    return n ? owner(n) : nullptr;
  }

  // Next element after x (in in-order) overlapping [qstart, qlast], or null.
  // x need not overlap the query itself.
  T* iter_next(const T& x, std::uint64_t qstart, std::uint64_t qlast) const {
    const rb_node* n = &(x.*Member).rb;
    rb_node* r = n->right;
    for (;;) {
      // Anything after n in its right subtree comes first.
      if (r && aug(r) >= qstart) {
        rb_node* hit = subtree_first_overlap(r, qstart, qlast);
        return hit ? owner(hit) : nullptr;
      }
      // Climb until we arrive from a left child: that ancestor is next.
      const rb_node* prev;
      do {
        prev = n;
        n = detail::rb_parent(n);
        if (!n) return nullptr;
      } while (prev == n->right);
      if (start_of(n) > qlast) return nullptr;  // this and all after start too late
      if (last_of(n) >= qstart) return owner(n);
      r = n->right;
    }
  }

  // f(T&) for every element overlapping [qstart, qlast], in in-order. f must
  // not insert or erase, except that it may erase the element it was given
  // (the successor is found before f runs).
  template <class F>
  void for_each_overlap(std::uint64_t qstart, std::uint64_t qlast, F&& f) const {
    for (T* x = iter_first(qstart, qlast); x;) {
      T* following = iter_next(*x, qstart, qlast);
      f(*x);
      x = following;
    }
  }

  // f(T&) for every element in in-order; same rule about modification.
  template <class F>
  void for_each(F&& f) const {
    for (T* x = first(); x;) {
      T* following = next(*x);
      f(*x);
      x = following;
    }
  }

  // Is x linked in this tree (not merely in some tree)? Unlinked nodes have
  // a null parent and are not our root.
  bool contains(const T& x) const {
    const rb_node* n = &(x.*Member).rb;
    if (!root_) return false;
    while (const rb_node* p = detail::rb_parent(n)) n = p;
    return n == root_;
  }

  // Full structural check. Empty when valid; otherwise one sentence about the
  // first violation found (walking in-order from the root).
  std::string validate() const {
    if (!root_) {
      if (leftmost_) return "The interval tree is empty but caches a leftmost node.";
      return {};
    }
    if (detail::rb_is_red(root_)) return "The interval tree's root " + describe(root_) + " is red.";
    check_state st;
    check(root_, nullptr, 0, st);
    if (!st.error.empty()) return st.error;
    if (st.leftmost != leftmost_) {
      return "The interval tree caches " +
             (leftmost_ ? describe(leftmost_) : std::string("no node")) +
             " as leftmost, but the leftmost node is " + describe(st.leftmost) + ".";
    }
    return {};
  }

 private:
  static interval_node* inode(const rb_node* n) {
    return reinterpret_cast<interval_node*>(const_cast<rb_node*>(n));
  }
  static std::uint64_t& aug(const rb_node* n) { return inode(n)->subtree_last; }

  // offsetof() for the pointer-to-member, measured on raw storage (no T is
  // constructed); the compiler folds it to a constant.
  static std::ptrdiff_t member_offset() {
    alignas(T) unsigned char storage[sizeof(T)];
    T* probe = reinterpret_cast<T*>(storage);
    return reinterpret_cast<unsigned char*>(&(probe->*Member)) - storage;
  }
  static T* owner(const rb_node* n) {
    auto* bytes = reinterpret_cast<unsigned char*>(inode(n));
    return reinterpret_cast<T*>(bytes - member_offset());
  }
  static std::uint64_t start_of(const rb_node* n) { return Traits::start(*owner(n)); }
  static std::uint64_t last_of(const rb_node* n) { return Traits::last(*owner(n)); }

  static void recompute(rb_node* n) {
    std::uint64_t m = last_of(n);
    if (n->left && aug(n->left) > m) m = aug(n->left);
    if (n->right && aug(n->right) > m) m = aug(n->right);
    aug(n) = m;
  }

  // First overlap in n's subtree, given aug(n) >= qstart.
  static rb_node* subtree_first_overlap(rb_node* n, std::uint64_t qstart, std::uint64_t qlast) {
    for (;;) {
      // Something on the left ends late enough; if it starts too late, so
      // does everything from n on (starts only grow), so left is the answer
      // or there is none.
      if (n->left && aug(n->left) >= qstart) {
        n = n->left;
        continue;
      }
      if (start_of(n) > qlast) return nullptr;
      if (last_of(n) >= qstart) return n;
      n = n->right;
      if (!n || aug(n) < qstart) return nullptr;
    }
  }

  void replace_child(rb_node* parent, rb_node* old_child, rb_node* new_child) {
    if (!parent) {
      root_ = new_child;
    } else if (parent->left == old_child) {
      parent->left = new_child;
    } else {
      parent->right = new_child;
    }
  }

  // x's right child y becomes x's parent. y now covers exactly x's old
  // subtree, so it inherits x's augmentation; x's must be recomputed.
  void rotate_left(rb_node* x) {
    rb_node* y = x->right;
    rb_node* p = detail::rb_parent(x);
    x->right = y->left;
    if (y->left) detail::rb_set_parent(y->left, x);
    replace_child(p, x, y);
    detail::rb_set_parent(y, p);
    y->left = x;
    detail::rb_set_parent(x, y);
    aug(y) = aug(x);
    recompute(x);
  }

  void rotate_right(rb_node* x) {
    rb_node* y = x->left;
    rb_node* p = detail::rb_parent(x);
    x->left = y->right;
    if (y->right) detail::rb_set_parent(y->right, x);
    replace_child(p, x, y);
    detail::rb_set_parent(y, p);
    y->right = x;
    detail::rb_set_parent(x, y);
    aug(y) = aug(x);
    recompute(x);
  }

  // CLRS RB-INSERT-FIXUP: z is red; repair a red parent.
  void insert_fixup(rb_node* z) {
    using namespace detail;
    rb_node* p;
    while ((p = rb_parent(z)) && rb_is_red(p)) {
      rb_node* g = rb_parent(p);  // exists: a red node is never the root
      if (p == g->left) {
        rb_node* u = g->right;
        if (rb_is_red(u)) {  // push the red up
          rb_set_black(p);
          rb_set_black(u);
          rb_set_red(g);
          z = g;
          continue;
        }
        if (z == p->right) {  // make it the outer case
          rotate_left(p);
          z = p;
          p = rb_parent(z);
        }
        rb_set_black(p);
        rb_set_red(g);
        rotate_right(g);
      } else {
        rb_node* u = g->left;
        if (rb_is_red(u)) {
          rb_set_black(p);
          rb_set_black(u);
          rb_set_red(g);
          z = g;
          continue;
        }
        if (z == p->left) {
          rotate_right(p);
          z = p;
          p = rb_parent(z);
        }
        rb_set_black(p);
        rb_set_red(g);
        rotate_left(g);
      }
    }
    rb_set_black(root_);
  }

  // CLRS RB-DELETE-FIXUP without a nil sentinel: x (possibly null) is one
  // black short and its parent is tracked separately.
  void erase_fixup(rb_node* x, rb_node* parent) {
    using namespace detail;
    while (x != root_ && rb_is_black(x)) {
      // The sibling exists: x's side is short a black, so the other is not empty.
      if (x == parent->left) {
        rb_node* w = parent->right;
        if (rb_is_red(w)) {  // make the sibling black
          rb_set_black(w);
          rb_set_red(parent);
          rotate_left(parent);
          w = parent->right;
        }
        if (rb_is_black(w->left) && rb_is_black(w->right)) {  // move the shortage up
          rb_set_red(w);
          x = parent;
          parent = rb_parent(x);
          continue;
        }
        if (rb_is_black(w->right)) {  // make the far nephew red
          rb_set_black(w->left);
          rb_set_red(w);
          rotate_right(w);
          w = parent->right;
        }
        rb_copy_color(w, parent);
        rb_set_black(parent);
        rb_set_black(w->right);
        rotate_left(parent);
        x = root_;
      } else {
        rb_node* w = parent->left;
        if (rb_is_red(w)) {
          rb_set_black(w);
          rb_set_red(parent);
          rotate_right(parent);
          w = parent->left;
        }
        if (rb_is_black(w->left) && rb_is_black(w->right)) {
          rb_set_red(w);
          x = parent;
          parent = rb_parent(x);
          continue;
        }
        if (rb_is_black(w->left)) {
          rb_set_black(w->right);
          rb_set_red(w);
          rotate_left(w);
          w = parent->left;
        }
        rb_copy_color(w, parent);
        rb_set_black(parent);
        rb_set_black(w->left);
        rotate_right(parent);
        x = root_;
      }
    }
    if (x) rb_set_black(x);
  }

  static std::string describe(const rb_node* n) {
    return "node [" + std::to_string(start_of(n)) + ", " + std::to_string(last_of(n)) + "]";
  }

  struct check_state {
    std::string error;
    const rb_node* leftmost = nullptr;
    const rb_node* prev = nullptr;  // in-order predecessor of the node being visited
  };

  // A valid red-black tree of at most 2^64 nodes is at most 128 deep; deeper
  // means the child links loop or the tree is badly unbalanced.
  static constexpr int kMaxDepth = 128;

  // Returns the black height of n's subtree (nil = 1); on a violation sets
  // st.error (first one wins) and returns -1.
  static int check(const rb_node* n, const rb_node* parent, int depth, check_state& st) {
    using namespace detail;
    if (!n) return 1;
    if (depth > kMaxDepth) {
      st.error = "The interval tree is more than " + std::to_string(kMaxDepth) +
                 " levels deep at " + describe(n) +
                 ", so its child links loop or it is unbalanced.";
      return -1;
    }
    if ((n->parent_color & 6) != 0) {
      st.error = "The interval tree's " + describe(n) + " has stray low bits in its parent link.";
      return -1;
    }
    if (rb_parent(n) != parent) {
      st.error =
          "The interval tree's " + describe(n) + " has a parent link that does not point to " +
          (parent ? "its parent " + describe(parent) : std::string("null (it is the root)")) + ".";
      return -1;
    }
    if (rb_is_red(n) && rb_is_red(parent)) {
      st.error =
          "The interval tree's red " + describe(n) + " has a red parent " + describe(parent) + ".";
      return -1;
    }
    const int lh = check(n->left, n, depth + 1, st);
    if (lh < 0) return -1;
    // In-order visit: starts must not decrease.
    if (!st.prev) {
      st.leftmost = n;
    } else if (start_of(st.prev) > start_of(n)) {
      st.error = "The interval tree's " + describe(n) + " comes after " + describe(st.prev) +
                 " in order but starts before it.";
      return -1;
    }
    st.prev = n;
    const int rh = check(n->right, n, depth + 1, st);
    if (rh < 0) return -1;
    std::uint64_t m = last_of(n);
    if (n->left && aug(n->left) > m) m = aug(n->left);
    if (n->right && aug(n->right) > m) m = aug(n->right);
    if (aug(n) != m) {
      st.error = "The interval tree's " + describe(n) + " has subtree_last " +
                 std::to_string(aug(n)) + " but the largest last in its subtree is " +
                 std::to_string(m) + ".";
      return -1;
    }
    if (lh != rh) {
      st.error = "The interval tree's " + describe(n) + " has black height " + std::to_string(lh) +
                 " on its left but " + std::to_string(rh) + " on its right.";
      return -1;
    }
    return lh + (rb_is_black(n) ? 1 : 0);
  }

  rb_node* root_ = nullptr;
  rb_node* leftmost_ = nullptr;  // cached so first() is O(1), like rb_root_cached
};

}  // namespace rmaplab::model
