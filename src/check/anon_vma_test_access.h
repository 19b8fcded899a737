// Test-only access to an anon_vma's private counters and links.
//
// The model changes these only inside the operations named in anon_vma.h, so
// a state that breaks I6-I9 cannot be reached through the model. The
// checker's negative tests plant such states through this accessor (anon_vma
// declares it a friend for exactly that); nothing outside tests includes it.
#pragma once

#include "model/anon_vma.h"

namespace rmaplab::model {

struct anon_vma_test_access {
  static int& refcount(anon_vma& av) { return av.refcount_; }
  static int& num_children(anon_vma& av) { return av.num_children_; }
  static int& num_active_vmas(anon_vma& av) { return av.num_active_vmas_; }
  static anon_vma*& parent(anon_vma& av) { return av.parent_; }
  static anon_vma*& root(anon_vma& av) { return av.root_; }
};

}  // namespace rmaplab::model
