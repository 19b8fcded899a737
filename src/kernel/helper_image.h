// The helper program (helper.cc), built as a separate static executable and
// embedded here by the build (embed_file.cmake), so that the runner starts it
// from a memfd and depends on no installed path.
#pragma once

#include <cstddef>

namespace rmaplab::kernel {

extern const unsigned char kHelperImage[];
extern const std::size_t kHelperImageSize;  // 0 if this build has no helper

}  // namespace rmaplab::kernel
