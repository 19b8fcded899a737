// The fuzzer finds a real profile's bug unaided: rfc-v1, the seed RFC's
// first version (src/profile/rfc_v1.cc), loses num_active_vmas++ in
// anon_vma_clone. From generated scripts, with the checker after every
// operation and no reference rules, the first split of a faulted VMA is
// caught (I6), and the shrinker takes the script down to the three steps of
// syzbot's report: fault a private mapping, mprotect part of it (here the
// exit that underflows the counter is not needed: the undercount is already
// a broken invariant).
#include <gtest/gtest.h>

#include <chrono>

#include "rmaplab/fuzz.h"
#include "rmaplab/profile.h"

namespace rmaplab {
namespace {

TEST(RfcV1Fuzz, FoundUnaidedAndShrunkToFourLines) {
  FuzzOptions o;
  o.seed = 1;
  o.seconds = 60;  // a bound: the first generated script with a split finds it
  o.profile = &model::rfc_v1();
  const auto start = std::chrono::steady_clock::now();
  auto r = fuzz(o);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->finding) << "no failure in " << r->stats.scripts << " scripts";
  const FuzzFinding& f = *r->finding;
  std::cout << "found after " << r->stats.scripts << " scripts: " << describe(f.failure)
            << "\nshrunk (" << f.shrink.candidates << " candidates tried):\n"
            << f.shrunk << describe(f.shrunk_failure) << "\n";
  EXPECT_EQ(f.failure.kind, Failure::Kind::violation);
  EXPECT_TRUE(f.shrunk_failure.same_as(f.failure)) << describe(f.shrunk_failure);
  EXPECT_EQ(f.shrunk_failure.what, "I6 num_active_vmas");
  EXPECT_LE(f.shrunk_ops, 4) << f.shrunk;
  EXPECT_LT(took, std::chrono::seconds(60));

  // The shrunk script is clean under the 6.18 rules: the bug is the profile's.
  auto s = parse_script(f.shrunk, "shrunk.rml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto clean = test_script(*s, {});
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_FALSE(clean->has_value()) << describe(**clean);
}

}  // namespace
}  // namespace rmaplab
