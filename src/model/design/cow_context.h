// struct cow_context: the COW context design's one object (Stoakes, LSF/MM+BPF
// 2026; the proof of concept's mm/cow_context.c, shared/docs/designs-2026.md
// §2). One per mm, in a tree that mirrors fork; a folio points at the context
// of the mm that created it. Its rules are in cow_context.cc.
#pragma once

#include <cstdint>
#include <vector>

namespace rmaplab::model {

struct mm_struct;

struct cow_context {
  mm_struct* mm = nullptr;  // null once the mm exited: walks skip it
  cow_context* parent = nullptr;
  std::vector<cow_context*> children;  // newest first (list_add_rcu at the head)
  int refcnt = 1;                      // the mm's, each child's, each folio's
  std::uint32_t id = 0;
};

}  // namespace rmaplab::model
