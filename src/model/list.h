// Intrusive circular doubly linked list, the shape of the kernel's list_head.
//
// Used for vma->anon_vma_chain (the same_vma list): an AVC sits on its VMA's
// list through an embedded list_head, so the chain costs no allocation of its
// own and an AVC stays 64 bytes. Newest first: add() inserts at the head.
#pragma once

#include <cstddef>

namespace rmaplab::model {

struct list_head {
  list_head* next = this;
  list_head* prev = this;

  list_head() = default;
  list_head(const list_head&) = delete;
  list_head& operator=(const list_head&) = delete;

  bool empty() const { return next == this; }
  bool singular() const { return !empty() && next == prev; }

  // Insert `n` right after this head (newest first).
  void add(list_head* n) {
    n->next = next;
    n->prev = this;
    next->prev = n;
    next = n;
  }
  // Insert `n` right before this head (at the tail).
  void add_tail(list_head* n) {
    n->prev = prev;
    n->next = this;
    prev->next = n;
    prev = n;
  }
  // Unlink this node from whatever list it is on and make it self-linked.
  void del() {
    prev->next = next;
    next->prev = prev;
    next = prev = this;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const list_head* p = next; p != this; p = p->next) ++n;
    return n;
  }
};

}  // namespace rmaplab::model
