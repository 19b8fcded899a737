// anon-vma-lazy: ANON_VMA_LAZY (Honor, 27 May 2026; NAKed), another design
// (src/model/design/anon_vma_lazy.cc) on 6.18's anon_vma rules: the hooks
// keep their 6.18 values, and the anon_vmas it does create follow them.
#include "rmaplab/profile.h"

namespace rmaplab::model {

const Profile& anon_vma_lazy() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "anon-vma-lazy";
    r.description =
        "ANON_VMA_LAZY: no anon_vma or AVC at first fault; folios point at their VMA until a "
        "fork makes it an anon_vma";
    r.kernels = "proposal (May 2026, NAKed) on 6.18's rules";
    r.claims_from = r.claims_to = {};
    r.design = Design::anon_vma_lazy;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
