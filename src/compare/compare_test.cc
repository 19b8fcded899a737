// rmaplab compare's measurements, with expected values from each design's
// rules: linux-6.18's are the kernel's (kernel-field-guide.md §11: a first
// fault allocates a root and its AVC; a fork of the faulted VMA a child
// anon_vma, its AVC and one clone AVC); anon-vma-lazy's and cow-context's
// follow designs-2026.md §1.2 and §2.3.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rmaplab/compare.h"
#include "rmaplab/profile.h"

namespace rmaplab {
namespace {

// One VMA of 8 pages written in full, then a fork.
constexpr const char* kFork = "spawn P\nP mmap 0 8\nP write 0 8\nP fork C\n";

WorkloadComparison three_designs(const char* text) {
  auto s = parse_script(text, "fork.rml");
  EXPECT_TRUE(s.ok());
  return compare_designs(*s, {&model::linux_6_18(), &model::anon_vma_lazy(),
                              &model::cow_context_profile()});
}

TEST(Compare, CountsEachDesignsObjectsAtTheKernelsSizes) {
  const WorkloadComparison c = three_designs(kFork);
  ASSERT_EQ(c.runs.size(), 3u);
  const DesignRun& linux = c.runs[0];
  const DesignRun& lazy = c.runs[1];
  const DesignRun& cow = c.runs[2];
  EXPECT_EQ(linux.object("anon_vma")->allocated, 2u);
  EXPECT_EQ(linux.object("avc")->allocated, 3u);
  EXPECT_EQ(linux.peak_bytes, 2 * kAnonVmaBytes + 3 * kAvcBytes);
  EXPECT_EQ(lazy.object("anon_vma")->allocated, 1u);  // the parent's, at the fork
  EXPECT_EQ(lazy.object("avc")->allocated, 2u);       // its own and the child's link
  EXPECT_EQ(cow.object("anon_vma")->allocated, 0u);
  EXPECT_EQ(cow.object("avc")->allocated, 0u);
  EXPECT_EQ(cow.object("cow_context")->allocated, 2u);  // one per mm
  EXPECT_EQ(cow.peak_bytes, 2u * cow.object("cow_context")->bytes);
  EXPECT_EQ(linux.object("cow_context"), nullptr);
  for (const DesignRun& r : c.runs) EXPECT_FALSE(r.violation) << r.profile << *r.violation;
}

TEST(Compare, WalksEveryFolioAfterTheForkAndAtTheEnd) {
  const WorkloadComparison c = three_designs(kFork);
  for (const DesignRun& r : c.runs) {
    // Eight folios, each mapped by P and C, walked after the fork and again
    // at the end (the same state).
    EXPECT_EQ(r.walks.walks, 16u) << r.profile;
    EXPECT_EQ(r.walks.mappings, 32u) << r.profile;
    EXPECT_TRUE(r.walks.complete()) << r.profile;
    // Each walk meets the two VMAs: the root's tree (6.18, lazy) or the
    // parent's context and its child's (cow-context).
    EXPECT_EQ(r.walks.candidates, 32u) << r.profile;
    EXPECT_EQ(r.walks.longest, 2u) << r.profile;
  }
}

TEST(Compare, TotalsAddWorkloadsAndCountFailures) {
  const WorkloadComparison one = three_designs(kFork);
  const WorkloadComparison total = total_of({one, one}, "2 workloads");
  EXPECT_EQ(total.runs[0].object("avc")->allocated, 6u);
  EXPECT_EQ(total.runs[2].walks.walks, 32u);
  EXPECT_EQ(total.runs[0].ops, 8u);
  const std::string text = compare_text(total);
  EXPECT_NE(text.find("cow_context allocated"), std::string::npos) << text;
  const nlohmann::json j = to_json(one);
  EXPECT_EQ(j["runs"][2]["objects"]["cow_context"]["allocated"], 2);
  EXPECT_EQ(j["runs"][0]["walks"]["complete"], true);
}

TEST(Compare, ABrokenRuleIsReportedPerDesign) {
  // rfc-v1 undercounts num_active_vmas at a split (designs-2026.md §3.2).
  auto s = parse_script("spawn P\nP mmap 0 8\nP write 0 8\nP mprotect 2 2 r\nP exit\n", "s.rml");
  ASSERT_TRUE(s.ok());
  const WorkloadComparison c = compare_designs(*s, {&model::linux_6_18(), &model::rfc_v1()});
  EXPECT_FALSE(c.runs[0].violation);
  ASSERT_TRUE(c.runs[1].violation);
  EXPECT_NE(c.runs[1].violation->find("I6 num_active_vmas"), std::string::npos)
      << *c.runs[1].violation;
}

}  // namespace
}  // namespace rmaplab
