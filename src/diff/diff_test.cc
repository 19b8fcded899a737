// Tests of rmaplab/diff.h: what compare_profiles() reports between rule
// sets, with the expected differences derived from each profile's rule.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "rmaplab/diff.h"
#include "rmaplab/profile.h"

namespace rmaplab {
namespace {

using model::degree;
using model::linux_6_18;
using model::linux_7_0;
using model::no_reuse;
using model::rfc_v2;

Script parse(const std::string& text) {
  auto s = parse_script(text, "test.rml");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : Script{};
}

ProfileComparison compare(const std::string& text, const model::Profile& a,
                          const model::Profile& b) {
  auto c = compare_profiles(parse(text), a, b);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : ProfileComparison{};
}

std::set<ProfileDiffKind> kinds(const ProfileComparison& c) {
  std::set<ProfileDiffKind> out;
  for (const ProfileDifference& d : c.first) out.insert(d.kind);
  return out;
}

const ProfileOpDiff& op_at(const ProfileComparison& c, int line) {
  for (const ProfileOpDiff& o : c.ops)
    if (o.line == line) return o;
  ADD_FAILURE() << "no operation on line " << line;
  static ProfileOpDiff none;
  return none;
}

constexpr const char* kFork = "spawn P\nP mmap 0 8\nP write 0 8\nP fork C\n";
// D's fork reuses C's abandoned anon_vma (line 7).
constexpr const char* kReuse =
    "spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nC fork D\nC exit\nD fork E\n";

TEST(Diff, AProfileAgainstItselfIsTheSame) {
  for (const model::Profile* p : model::profiles()) {
    const auto c = compare(kReuse, *p, *p);
    EXPECT_TRUE(c.same()) << p->name;
    EXPECT_FALSE(c.semantic());
    EXPECT_EQ(c.ops.size(), 7u);
    EXPECT_TRUE(c.first.empty());
  }
}

TEST(Diff, RfcChangesOnlyLockCountsAndEventOrder) {
  // rfc-v2: +1 root lock per allocated anon_vma (line 3's new root, line
  // 4's fork child), AVC before anon_vma at a fork that allocates.
  const auto c = compare(kFork, linux_6_18(), rfc_v2());
  EXPECT_EQ(kinds(c),
            (std::set<ProfileDiffKind>{ProfileDiffKind::event_order, ProfileDiffKind::locks}));
  EXPECT_FALSE(c.semantic());
  EXPECT_EQ(c.differences, 2u);
  EXPECT_EQ(c.divergence.line, 3);
  EXPECT_EQ(c.divergence.kind, ProfileDiffKind::locks);
  EXPECT_EQ(c.divergence.message, "locks (linux-6.18 -> rfc-v2): anon_vma_root_write 1 -> 2");
  const ProfileOpDiff& fork = op_at(c, 4);
  EXPECT_EQ(fork.differs,
            (std::vector<ProfileDiffKind>{ProfileDiffKind::event_order, ProfileDiffKind::locks}));
  EXPECT_EQ(fork.locks_b[Lock::anon_vma_root_write], fork.locks_a[Lock::anon_vma_root_write] + 1);
}

TEST(Diff, CleanupChangesEventCountsAtAReusingForkOnly) {
  // linux-7.0 (the 2026 clean-up): the reusing fork (line 7) allocates and releases one
  // anon_vma and one AVC: event counts; the forks that allocate (4, 5)
  // reorder; a fork of a chain of two or more (5, 7) reverses the clone's
  // chain: objects. No lock count differs.
  const auto c = compare(kReuse, linux_6_18(), linux_7_0());
  EXPECT_EQ(kinds(c),
            (std::set<ProfileDiffKind>{ProfileDiffKind::event_counts, ProfileDiffKind::event_order,
                                       ProfileDiffKind::objects}));
  EXPECT_TRUE(c.semantic());
  EXPECT_EQ(op_at(c, 4).differs, (std::vector<ProfileDiffKind>{ProfileDiffKind::event_order}));
  EXPECT_EQ(op_at(c, 5).differs,
            (std::vector<ProfileDiffKind>{ProfileDiffKind::event_order, ProfileDiffKind::objects}));
  EXPECT_EQ(op_at(c, 7).differs, (std::vector<ProfileDiffKind>{ProfileDiffKind::event_counts,
                                                               ProfileDiffKind::objects}));
  EXPECT_EQ(c.first.front().message,
            "events: +avc anon_vma_clone x3 under linux-6.18; +anon_vma anon_vma_fork, +avc "
            "anon_vma_fork, +avc anon_vma_clone x3, -anon_vma __put_anon_vma, -avc anon_vma_fork "
            "under linux-7.0");
}

TEST(Diff, NoReuseDiffersInObjectsFromTheFirstSkippedReuse) {
  // no-reuse allocates at line 7 where 6.18 reuses: counts, locks (the own
  // link) and objects (a fourth anon_vma) differ from there on.
  const auto c = compare(kReuse, linux_6_18(), no_reuse());
  EXPECT_EQ(c.divergence.line, 7);
  EXPECT_EQ(op_at(c, 7).differs,
            (std::vector<ProfileDiffKind>{ProfileDiffKind::event_counts, ProfileDiffKind::locks,
                                          ProfileDiffKind::objects}));
  EXPECT_TRUE(c.semantic());
}

TEST(Diff, DegreeDivergesAtTheDoubleReuse) {
  std::ifstream in(std::string(RMAPLAB_SOURCE_DIR) + "/examples/cve-2022-42703.rml");
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  const Script script = parse(text);
  int fork6 = 0;
  for (const Op& o : script.ops)
    if (format_op(script, o) == "G5 fork G6") fork6 = o.line;
  const auto c = compare(text, linux_6_18(), degree());
  // Nothing differs before step 12; there degree reuses X (no allocation,
  // one root lock less) and G6's second VMA gets X instead of a new M.
  EXPECT_EQ(c.divergence.line, fork6);
  EXPECT_EQ(op_at(c, fork6).differs,
            (std::vector<ProfileDiffKind>{ProfileDiffKind::event_counts, ProfileDiffKind::locks,
                                          ProfileDiffKind::objects}));
  // 6.18: two clones (one lock each) and M's own link; degree: the clones.
  EXPECT_EQ(op_at(c, fork6).locks_a[Lock::anon_vma_root_write], 3u);
  EXPECT_EQ(op_at(c, fork6).locks_b[Lock::anon_vma_root_write], 2u);
  EXPECT_TRUE(c.semantic());
  // Results never differ: the bug is invisible to the program.
  EXPECT_FALSE(c.differs_in(ProfileDiffKind::result));
}

TEST(Diff, ScriptErrorOnBothSidesIsTheScripts) {
  auto c = compare_profiles(parse("spawn P\nP mmap 0 4\nP write 8\n"), linux_6_18(), rfc_v2());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("test.rml:3"), std::string::npos) << c.error().message;
}

TEST(Diff, TotalsSumPerKindAndPerVerb) {
  ProfileDiffTotals t;
  t.add(compare(kFork, linux_6_18(), rfc_v2()));
  t.add(compare(kReuse, linux_6_18(), rfc_v2()));
  EXPECT_EQ(t.a, "linux-6.18");
  EXPECT_EQ(t.b, "rfc-v2");
  EXPECT_EQ(t.scripts, 2u);
  EXPECT_EQ(t.operations, 11u);
  EXPECT_EQ(t.scripts_differing[static_cast<int>(ProfileDiffKind::locks)], 2u);
  EXPECT_EQ(t.scripts_differing[static_cast<int>(ProfileDiffKind::objects)], 0u);
  EXPECT_TRUE(t.semantic_scripts.empty());
  // Forks: kFork's one (allocates), kReuse's 4 and 5 (allocate) and 7
  // (reuses): each allocated anon_vma costs one more root lock.
  const auto& fork = t.per_verb.at("fork");
  EXPECT_EQ(fork.ops, 4u);
  EXPECT_EQ(fork.locks_b[Lock::anon_vma_root_write] - fork.locks_a[Lock::anon_vma_root_write], 3u);
  const auto& write = t.per_verb.at("write");
  EXPECT_EQ(write.locks_b[Lock::anon_vma_root_write] - write.locks_a[Lock::anon_vma_root_write],
            2u);
  const auto doc = to_json(t);
  EXPECT_EQ(doc["scripts"], 2);
  EXPECT_EQ(doc["per_verb"]["fork"]["ops"], 4);
}

TEST(Diff, TextNamesTheFirstDivergence) {
  const auto c = compare(kFork, linux_6_18(), rfc_v2());
  const std::string text = profile_diff_text(c);
  EXPECT_NE(text.find("first divergence: test.rml:3 'P write 0 8'"), std::string::npos) << text;
  EXPECT_NE(text.find("semantic: same"), std::string::npos) << text;
  const auto doc = to_json(c);
  EXPECT_EQ(doc["divergence"]["line"], 3);
  EXPECT_EQ(doc["semantic"], false);
  EXPECT_EQ(doc["ops"].size(), 2u);
}

}  // namespace
}  // namespace rmaplab
