// The fuzzing loop: scripts from consecutive seeds, counted, covering every
// verb; the same totals with worker processes.
#include <gtest/gtest.h>

#include "rmaplab/fuzz.h"

namespace rmaplab {
namespace {

TEST(Fuzz, ShapesVaryWithTheSeedWithinBounds) {
  std::set<int> procs, ops;
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const GenOptions g = fuzz_shape(seed);
    EXPECT_EQ(g.seed, seed);
    EXPECT_GE(g.procs, 2);
    EXPECT_LE(g.procs, 8);
    EXPECT_GE(g.ops, 20);
    EXPECT_LE(g.ops, 120);
    procs.insert(g.procs);
    ops.insert(g.ops);
    EXPECT_EQ(fuzz_shape(seed).ops, g.ops);
  }
  EXPECT_EQ(procs.size(), 7u);
  EXPECT_GT(ops.size(), 50u);
}

TEST(Fuzz, TestScriptCountsWhatItRan) {
  auto s =
      parse_script("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC write 0\nP write 0\n", "t.rml");
  ASSERT_TRUE(s.ok());
  FuzzStats stats;
  auto r = test_script(*s, {}, &stats);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(stats.operations, 6u);
  EXPECT_EQ(stats.verbs[static_cast<int>(Verb::write)], 3u);
  // C's write copies; P's then finds itself the only mapper and reuses.
  auto path = [&](std::string_view name) {
    for (int p = 0; p < kCoverPaths; ++p)
      if (cover_path_name(p) == name) return stats.paths[p];
    ADD_FAILURE() << "no path " << name;
    return std::uint64_t{0};
  };
  EXPECT_EQ(path("COW copy"), 1u);
  EXPECT_EQ(path("COW reuse"), 1u);
  EXPECT_EQ(path("fork allocated an anon_vma"), 1u);
  EXPECT_EQ(path("fault allocated a root anon_vma"), 1u);
}

TEST(Fuzz, ScriptErrorsAreErrors) {
  auto s = parse_script("spawn P\nP mmap 0 8 r\nP write 0\n", "t.rml");
  ASSERT_TRUE(s.ok());
  auto r = test_script(*s, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("t.rml:3:"), std::string::npos) << r.error().message;
}

TEST(Fuzz, RunsTheScriptsAskedForAndCoversEveryVerb) {
  FuzzOptions o;
  o.seed = 100;
  o.seconds = 0;
  o.max_scripts = 60;
  int calls = 0;
  o.progress = [&](const FuzzStats&) { ++calls; };
  auto r = fuzz(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->finding);
  EXPECT_EQ(r->stats.scripts, 60u);
  EXPECT_GT(r->stats.operations, 60u * 20);
  for (int v = 0; v < kVerbs; ++v)
    EXPECT_GT(r->stats.verbs[v], 0u) << to_string(static_cast<Verb>(v));
  EXPECT_GE(calls, 1) << "progress at the end at least";
}

TEST(Fuzz, WorkersShareTheSeedsOut) {
  FuzzOptions one;
  one.seed = 7;
  one.seconds = 0;
  one.max_scripts = 31;
  auto a = fuzz(one);
  FuzzOptions three = one;
  three.jobs = 3;
  auto b = fuzz(three);
  ASSERT_TRUE(a.ok() && b.ok());
  // The same seeds, so the same scripts, operations and coverage.
  EXPECT_EQ(b->stats.scripts, 31u);
  EXPECT_EQ(a->stats.operations, b->stats.operations);
  EXPECT_EQ(a->stats.verbs, b->stats.verbs);
  EXPECT_EQ(a->stats.paths, b->stats.paths);
}

TEST(Fuzz, DescribeNamesTheRuleAndTheLine) {
  Failure f{Failure::Kind::violation, "I6 num_active_vmas", 12, "P fork C", "anon_vma #3 ..."};
  EXPECT_EQ(describe(f),
            "invariant I6 num_active_vmas broken at line 12 (P fork C): anon_vma #3 ...");
  f.kind = Failure::Kind::disagreement;
  f.what = "events";
  EXPECT_EQ(describe(f), "the kernel disagrees (events) at line 12 (P fork C): anon_vma #3 ...");
}

}  // namespace
}  // namespace rmaplab
