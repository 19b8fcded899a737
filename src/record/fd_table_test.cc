#include "record/fd_table.h"

#include <gtest/gtest.h>

namespace rmaplab::record {
namespace {

TEST(FdTable, DupCloseAndExec) {
  FdTable t;
  t.set(3, {1, false});
  t.set(4, {2, true});
  t.dup(3, 7, false);
  EXPECT_EQ(t.get(7)->file, 1u);
  t.dup(9, 7, false);  // an unknown descriptor over a known one: now unknown
  EXPECT_FALSE(t.get(7));
  t.close(3);
  EXPECT_FALSE(t.get(3));
  t.exec();  // 4 is close-on-exec
  EXPECT_FALSE(t.get(4));
}

TEST(FdTable, CloseRange) {
  FdTable t;
  for (int fd = 3; fd < 8; ++fd) t.set(fd, {std::uint32_t(fd), false});
  t.close_range(5, ~0u, true);
  t.exec();
  EXPECT_TRUE(t.get(4));
  EXPECT_FALSE(t.get(5));
  t.close_range(0, 3, false);
  EXPECT_FALSE(t.get(3));
  EXPECT_TRUE(t.get(4));
}

}  // namespace
}  // namespace rmaplab::record
