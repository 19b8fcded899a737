// cow-context: Lorenzo Stoakes's COW context (LSF/MM+BPF 2026; proof of
// concept in ljs/linux.git project/cow-context, shared/docs/designs-2026.md
// §2): not a rule variant but another design, src/model/design/cow_context.cc.
// The anon_vma hooks below keep their 6.18 values and are not consulted; the
// VMA rules are 6.18's (the proof of concept is on a 7.x tree whose merge and
// mremap rules the model has as 6.18's).
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& cow_context_profile() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "cow-context";
    r.description =
        "COW context: one context per mm in a tree mirroring fork; folios point at their "
        "creator's context; no anon_vma, no AVC";
    r.kernels = "proposal (LSF/MM+BPF, May 2026; proof of concept, not posted)";
    r.claims_from = r.claims_to = {};
    r.design = Design::cow_context;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
