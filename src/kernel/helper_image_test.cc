// The embedded helper program is what helper.cc promises: a static x86_64
// executable with no interpreter, no dynamic section and no writable
// loadable segment (so exec gives it no private writable mapping that could
// get an anon_vma).
#include "kernel/helper_image.h"

#include <elf.h>

#include <gtest/gtest.h>

#include <cstring>

namespace rmaplab::kernel {
namespace {

TEST(HelperImage, StaticWithoutWritableSegments) {
  if (kHelperImageSize == 0) GTEST_SKIP() << "no helper in this build (not x86_64)";
  ASSERT_GE(kHelperImageSize, sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, kHelperImage, sizeof eh);
  ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh.e_type, ET_EXEC);  // not PIE: nothing to relocate
  EXPECT_EQ(eh.e_machine, EM_X86_64);
  ASSERT_LE(eh.e_phoff + std::size_t(eh.e_phnum) * sizeof(Elf64_Phdr), kHelperImageSize);
  int loads = 0;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, kHelperImage + eh.e_phoff + std::size_t(i) * sizeof ph, sizeof ph);
    EXPECT_NE(ph.p_type, PT_INTERP);
    EXPECT_NE(ph.p_type, PT_DYNAMIC);
    EXPECT_NE(ph.p_type, PT_TLS);
    if (ph.p_type != PT_LOAD) continue;
    ++loads;
    EXPECT_EQ(ph.p_flags & PF_W, 0u) << "LOAD segment " << i << " is writable";
    EXPECT_EQ(ph.p_memsz, ph.p_filesz) << "LOAD segment " << i << " has .bss";
  }
  EXPECT_GT(loads, 0);
}

}  // namespace
}  // namespace rmaplab::kernel
