// The anon_vma design's factory (the class: anon_vma_design.h).
#include "model/design/anon_vma_design.h"

#include <memory>

namespace rmaplab::model {

std::unique_ptr<AnonRmap> make_anon_vma_design() { return std::make_unique<AnonVmaDesign>(); }

}  // namespace rmaplab::model
