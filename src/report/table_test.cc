// The text table: one row per operation, the documented columns, a summary.
#include <gtest/gtest.h>

#include <sstream>

#include "report_test_util.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

constexpr std::string_view kFork = R"(# a fork of a faulted VMA
spawn P
P mmap 0 8
P write 0 4
P fork C
C write 0
P munmap 0 1
C exit
)";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Table, OneRowPerOperationThenSummary) {
  const Script script = parse_or_die(kFork);
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok()) << report.error().message;
  const auto out = lines(run_table(*report, {.checked = true}));
  ASSERT_GT(out.size(), 8u);
  EXPECT_EQ(out[0].find("line"), 0u) << out[0];
  for (std::string_view column :
       {"operation", "result", "anon_vma", "AVC", "live anon_vma", "live AVC"})
    EXPECT_NE(out[0].find(column), std::string::npos) << column;
  // Rows 1..7 are the seven operations, in order, with their line numbers.
  const int expected_lines[] = {2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 7; ++i) {
    std::istringstream row(out[i + 1]);
    int line = 0;
    row >> line;
    EXPECT_EQ(line, expected_lines[i]) << out[i + 1];
  }
  EXPECT_EQ(out[8], "") << "a blank line separates the rows from the summary";
  EXPECT_EQ(out[9], "7 operations");
  EXPECT_EQ(out.back(), "invariants checked after every operation: ok");
}

TEST(Table, RowShowsDeltasAndLiveTotals) {
  const Script script = parse_or_die(kFork);
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok());
  const auto out = lines(run_rows(*report));
  ASSERT_EQ(out.size(), 1u + script.ops.size());
  // The fork on line 5: one new anon_vma, two AVCs; 2 anon_vmas and 3 AVCs live.
  const std::string& fork = out[4];
  EXPECT_EQ(fork.substr(0, 6), "   5  ") << fork;
  EXPECT_NE(fork.find("P fork C"), std::string::npos) << fork;
  EXPECT_NE(fork.find(" ok "), std::string::npos) << fork;
  EXPECT_NE(fork.find("+1/-0"), std::string::npos) << fork;
  EXPECT_NE(fork.find("+2/-0"), std::string::npos) << fork;
  std::istringstream tail(fork.substr(fork.find("+2/-0") + 5));
  std::size_t live_av = 0, live_avc = 0;
  tail >> live_av >> live_avc;
  EXPECT_EQ(live_av, report->ops[3].live_anon_vma);
  EXPECT_EQ(live_avc, report->ops[3].live_avc);
}

TEST(Table, SummaryTotalsPerKindAndCallSite) {
  const Script script = parse_or_die(kFork);
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok());
  const std::string out = run_table(*report, {});
  EXPECT_NE(out.find("anon_vma: 2 allocated, 1 freed, 1 live at the end"), std::string::npos)
      << out;
  EXPECT_NE(out.find("call site"), std::string::npos) << out;
  EXPECT_NE(out.find("anon_vma_fork"), std::string::npos) << out;
  EXPECT_EQ(out.find("invariants checked"), std::string::npos) << "not without --check";
}

TEST(Table, ViolationSentence) {
  const Violation v{"I6 num_active_vmas", "anon_vma #3 has num_active_vmas 2, but 1 VMA uses it",
                    12, "P fork C"};
  EXPECT_EQ(violation_sentence("x.rml", v),
            "x.rml:12: invariant I6 num_active_vmas broken after 'P fork C': anon_vma #3 has "
            "num_active_vmas 2, but 1 VMA uses it");
}

}  // namespace
}  // namespace rmaplab::report
