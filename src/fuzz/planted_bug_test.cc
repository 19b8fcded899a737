// The machinery finds real bugs. Two known bugs are planted as test-only
// rule sets (registered nowhere but here):
//
//   ignores_active   fork may reuse any anon_vma with fewer than two
//                    children, whatever VMAs still use it. Every state it
//                    makes is consistent (the checker has nothing to say:
//                    shown below), but it is not 6.18's behaviour: a fork
//                    reuses the parent's own root. Found by differential
//                    fuzzing against the 6.18 rules (which agree with the
//                    kernel) and, where the kernel can be observed, by the
//                    kernel itself.
//   degree           3.19-5.19's rule (CVE-2022-42703): reuse when children
//                    plus active VMAs are fewer than two. Two VMAs of one
//                    child can then adopt one anon_vma with different chains:
//                    the checker's I11 catches it.
//
// Each is found from generated scripts and shrunk.
#include <gtest/gtest.h>

#include "rmaplab/fuzz.h"
#include "rmaplab/kernel.h"
#include "rmaplab/profile.h"

namespace rmaplab {
namespace {

bool reuse_ignoring_active_vmas(model::ReuseCandidate av) { return av.num_children < 2; }

bool reuse_by_degree(model::ReuseCandidate av) {
  return !av.is_pvma_anon_vma && av.num_children + av.num_active_vmas < 2;
}

const model::Profile& ignores_active() {
  static const model::Profile p{
      "test-planted-ignores-active",
      "fork reuses an anon_vma with fewer than two children, in use or not", "test only",
      reuse_ignoring_active_vmas};
  return p;
}

const model::Profile& degree() {
  static const model::Profile p{"test-planted-degree",
                                "fork reuses an anon_vma whose children plus active VMAs are < 2",
                                "test only (3.19-5.19)", reuse_by_degree};
  return p;
}

void print(const FuzzResult& r) {
  const FuzzFinding& f = *r.finding;
  std::cout << "found after " << r.stats.scripts << " scripts: " << describe(f.failure)
            << "\nshrunk (" << f.shrink.candidates << " candidates tried):\n"
            << f.shrunk << describe(f.shrunk_failure) << "\n";
}

TEST(PlantedBug, IgnoringActiveVmasKeepsEveryInvariant) {
  // Why a reference is needed: the checker alone finds nothing.
  FuzzOptions o;
  o.seed = 1;
  o.seconds = 0;
  o.max_scripts = 2000;
  o.profile = &ignores_active();
  auto r = fuzz(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->finding) << describe(r->finding->failure);
}

TEST(PlantedBug, IgnoringActiveVmasIsFoundAgainstTheReferenceRules) {
  FuzzOptions o;
  o.seed = 1;
  o.seconds = 120;  // a bound; the first script with a faulted fork finds it
  o.profile = &ignores_active();
  o.reference = &model::linux_6_18();
  auto r = fuzz(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->finding) << "no failure in " << r->stats.scripts << " scripts";
  print(*r);
  const FuzzFinding& f = *r->finding;
  EXPECT_EQ(f.failure.kind, Failure::Kind::divergence);
  EXPECT_TRUE(f.shrunk_failure.same_as(f.failure)) << describe(f.shrunk_failure);
  EXPECT_LE(f.shrunk_ops, 10) << f.shrunk;
  // Its essence: a faulted VMA and a fork.
  auto s = parse_script(f.shrunk, "shrunk.rml");
  ASSERT_TRUE(s.ok());
  bool fork = false, write = false;
  for (const Op& op : s->ops) {
    fork |= op.verb == Verb::fork;
    write |= op.verb == Verb::write;
  }
  EXPECT_TRUE(fork && write) << f.shrunk;
}

TEST(PlantedBug, IgnoringActiveVmasIsFoundOnTheKernel) {
  if (auto probe = kernel::probe(); !probe) GTEST_SKIP() << probe.error().message;
  FuzzOptions o;
  o.seed = 1;
  o.seconds = 300;
  o.kernel = true;
  o.profile = &ignores_active();
  auto r = fuzz(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->finding) << "no failure in " << r->stats.scripts << " scripts";
  print(*r);
  const FuzzFinding& f = *r->finding;
  EXPECT_EQ(f.failure.kind, Failure::Kind::disagreement);
  EXPECT_TRUE(f.shrunk_failure.same_as(f.failure)) << describe(f.shrunk_failure);
  EXPECT_LE(f.shrunk_ops, 10) << f.shrunk;
}

TEST(PlantedBug, DegreeRuleIsFoundByTheChecker) {
  FuzzOptions o;
  o.seed = 1;
  o.seconds = 300;  // a bound; about 16,000 scripts, a few seconds
  o.profile = &degree();
  auto r = fuzz(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->finding) << "no failure in " << r->stats.scripts << " scripts";
  print(*r);
  const FuzzFinding& f = *r->finding;
  EXPECT_EQ(f.failure.kind, Failure::Kind::violation);
  EXPECT_EQ(f.failure.what, "I11 same_anon_vma_same_chain");
  EXPECT_TRUE(f.shrunk_failure.same_as(f.failure)) << describe(f.shrunk_failure);
  // A deep fork chain, middle exits, a split and two more forks: the
  // shortest found over many seeds is 13 lines (the kernel fix's own
  // reconstruction, examples/cve-2022-42703.rml, has 14 steps).
  EXPECT_LE(f.shrunk_ops, 16) << f.shrunk;

  // Under the 6.18 rules the shrunk script is clean: the bug is the rule.
  auto s = parse_script(f.shrunk, "shrunk.rml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto clean = test_script(*s, {});
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_FALSE(clean->has_value()) << describe(**clean);
}

}  // namespace
}  // namespace rmaplab
