#include "kernel/procfs.h"

#include <gtest/gtest.h>

namespace rmaplab::kernel {
namespace {

TEST(Procfs, ArenaVmasFromMaps) {
  const char* maps =
      "00400000-00401000 r--p 00000000 00:01 2054                       /memfd:rmaplab-helper "
      "(deleted)\n"
      "100000000000-100000002000 rw-p 00000000 00:00 0 \n"
      "100000002000-100000004000 r--p 00000000 00:00 0 \n"
      "100000010000-100000011000 rw-s 00000000 00:01 2060                       /dev/zero "
      "(deleted)\n"
      "7f0e5c1f9000-7f0e5c20a000 rw-s 00000000 00:01 2055                       /dev/zero "
      "(deleted)\n"
      "7ffd6d3e1000-7ffd6d3e5000 r--p 00000000 00:00 0                          [vvar]\n";
  std::vector<VmaLayout> v = arena_vmas(maps);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], (VmaLayout{0, 2, "rw-p"}));
  EXPECT_EQ(v[1], (VmaLayout{2, 4, "r--p"}));
  EXPECT_EQ(v[2], (VmaLayout{16, 17, "rw-s"}));
  EXPECT_FALSE(parse_maps_line("not a maps line").has_value());
}

TEST(Procfs, PagemapBits) {
  PagemapEntry e = decode_pagemap((std::uint64_t{1} << 63) | (std::uint64_t{1} << 56) | 0x1234);
  EXPECT_TRUE(e.present);
  EXPECT_TRUE(e.exclusive);
  EXPECT_EQ(e.pfn, 0x1234u);
  EXPECT_FALSE(decode_pagemap(std::uint64_t{1} << 62).present);  // swapped
}

}  // namespace
}  // namespace rmaplab::kernel
