#include "kernel/kallsyms.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kernel/testdata.h"
#include "kernel/trace_parser.h"
#include "kernel/tracefs.h"

namespace rmaplab::kernel {
namespace {

TEST(Kallsyms, FunctionRangesEndAtTheNextSymbol) {
  auto r = find_functions(testing::read_testdata("kallsyms_rmap.txt"), kAvcCallSites);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 5u);
  // In address order; the next symbol is the next function's __pfx_ padding.
  EXPECT_EQ((*r)[0].function, "__put_anon_vma");
  EXPECT_EQ((*r)[0].start, 0xffffffff81604330u);
  EXPECT_EQ((*r)[0].end, 0xffffffff816043d0u);
  EXPECT_EQ((*r)[4].function, "anon_vma_fork");
  EXPECT_EQ((*r)[4].start, 0xffffffff816049b0u);
  EXPECT_EQ((*r)[4].end, 0xffffffff81604b30u);
  EXPECT_EQ(function_at(*r, 0xffffffff816047c0u + 0x66), "anon_vma_clone");
  EXPECT_EQ(function_at(*r, 0xffffffff816047b0u), "");  // __pfx_anon_vma_clone
  EXPECT_EQ(event_filter(std::span(*r).first(1)),
            "name == \"anon_vma\" || (call_site >= 0xffffffff81604330 && "
            "call_site < 0xffffffff816043d0)");
  // kmem_cache_alloc without a name field (6.1, 6.12): the call sites only.
  EXPECT_EQ(event_filter(std::span(*r).first(2), false),
            "(call_site >= 0xffffffff81604330 && call_site < 0xffffffff816043d0) || "
            "(call_site >= " +
                fmt::format("{:#x} && call_site < {:#x})", (*r)[1].start, (*r)[1].end));
}

TEST(Kallsyms, ColdPiecesBelongToTheirFunction) {
  auto r = find_functions(
      "ffffffff81000000 T anon_vma_clone\n"
      "ffffffff81000100 T other\n"
      "ffffffff82000000 t anon_vma_clone.cold\n"
      "ffffffff82000040 t next\n",
      std::array<std::string_view, 1>{"anon_vma_clone"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(function_at(*r, 0xffffffff82000010u), "anon_vma_clone");
}

TEST(Kallsyms, MissingFunctionsAndHiddenAddressesAreErrors) {
  auto missing = find_functions("ffffffff81000000 T anon_vma_clone\n", kAvcCallSites);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("__anon_vma_prepare"), std::string::npos);
  EXPECT_EQ(missing.error().message.find("anon_vma_clone,"), std::string::npos);
  std::string hidden;
  for (std::string_view f : kAvcCallSites) hidden += "0000000000000000 T " + std::string(f) + "\n";
  auto zero = find_functions(hidden, kAvcCallSites);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("kptr_restrict"), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::kernel
