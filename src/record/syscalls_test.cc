#include "record/syscalls.h"

#include <gtest/gtest.h>

namespace rmaplab::record {
namespace {

TEST(Syscalls, NamesAndNumbers) {
  EXPECT_EQ(syscall_name(9), "mmap");
  EXPECT_EQ(syscall_name(435), "clone3");
  EXPECT_EQ(syscall_name(462), "mseal");  // newer than the C library's headers
  EXPECT_EQ(syscall_name(9999), "syscall_9999");
  EXPECT_EQ(syscall_number("mremap"), 25);
  EXPECT_EQ(syscall_number("syscall_9999"), 9999);
  EXPECT_FALSE(syscall_number("no_such_call"));
}

TEST(Syscalls, TheKeptCallsAndTheirFilter) {
  EXPECT_TRUE(is_recorded_syscall("brk"));
  EXPECT_TRUE(is_recorded_syscall("openat"));
  EXPECT_FALSE(is_recorded_syscall("read"));
  const std::string f = recorded_syscalls_filter();
  EXPECT_TRUE(f.starts_with("id == 9 || id == 11 || id == 10 || "));  // mmap, munmap, mprotect
  EXPECT_NE(f.find(" || id == 462"), std::string::npos);
  EXPECT_EQ(f.find("id == 0 "), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::record
