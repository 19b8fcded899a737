// The table of designs behind the seam (anon_rmap.h).
#include "model/anon_rmap.h"

namespace rmaplab::model {

std::unique_ptr<AnonRmap> make_anon_vma_design();     // design/anon_vma_design.cc
std::unique_ptr<AnonRmap> make_cow_context_design();  // design/cow_context.cc
std::unique_ptr<AnonRmap> make_anon_vma_lazy_design();  // design/anon_vma_lazy.cc

std::unique_ptr<AnonRmap> make_anon_rmap(const Profile& profile) {
  switch (profile.design) {
    case Design::cow_context:
      return make_cow_context_design();
    case Design::anon_vma_lazy:
      return make_anon_vma_lazy_design();
    case Design::anon_vma:
      break;
  }
  return make_anon_vma_design();
}

}  // namespace rmaplab::model
