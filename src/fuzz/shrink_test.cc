// The shrinker: removes what the failure does not need, keeps what it does,
// and never hands the predicate a script that does not parse.
#include <gtest/gtest.h>

#include <set>

#include "rmaplab/fuzz.h"

namespace rmaplab {
namespace {

Script parse(const std::string& text) {
  auto s = parse_script(text, "t.rml");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.value();
}

TEST(Shrink, KeepsOnlyTheLinesTheFailureNeeds) {
  const Script s = parse(
      "spawn P\n"
      "P mmap 0 8\n"
      "P write 0\n"
      "P mprotect 2 2 r\n"
      "P fork C\n"
      "C write 1\n"
      "P munmap 4 1\n"
      "spawn Q\n"
      "Q mmap 0 4\n"
      "Q write 0\n"
      "C exit\n");
  // "Fails" while an mmap, then a fork, then a write of page 1 happen.
  auto fails = [](const Script& t) {
    int stage = 0;
    for (const Op& op : t.ops) {
      if (stage == 0 && op.verb == Verb::mmap) stage = 1;
      if (stage == 1 && op.verb == Verb::fork) stage = 2;
      if (stage == 2 && op.verb == Verb::write && op.a == 1) return true;
    }
    return false;
  };
  ShrinkStats stats;
  const Script small = shrink(s, fails, &stats);
  EXPECT_EQ(script_text(small), "spawn P\nP mmap 0 8\nP fork C\nC write 1\n");
  EXPECT_GT(stats.candidates, 0);
  EXPECT_GT(stats.accepted, 0);
}

TEST(Shrink, FoldsAForkedChildIntoItsParent) {
  // Needs a split of a faulted VMA, in whichever process: the child's
  // madvise becomes the parent's and the fork goes (a fork turned into a
  // spawn would leave the madvise nothing to split).
  const Script s = parse(
      "spawn P\n"
      "P mmap 11 4\n"
      "P write 13\n"
      "P fork C\n"
      "C madvise 12 1 wipeonfork\n");
  auto fails = [](const Script& t) {
    std::set<int> mapped, faulted;  // mapped and wrote, or inherited that
    for (const Op& op : t.ops) {
      if (op.verb == Verb::mmap) mapped.insert(op.proc);
      if (op.verb == Verb::write && mapped.count(op.proc)) faulted.insert(op.proc);
      if (op.verb == Verb::fork && faulted.count(op.proc)) faulted.insert(op.child);
      if (op.verb == Verb::madvise && faulted.count(op.proc)) return true;
    }
    return false;
  };
  const Script small = shrink(s, fails, nullptr);
  EXPECT_EQ(script_text(small), "spawn P\nP mmap 11 4\nP write 13\nP madvise 12 1 wipeonfork\n");
}

TEST(Shrink, RemovesAProcessWithItsDescendants) {
  const Script s = parse(
      "spawn P\n"
      "P mmap 0 4\n"
      "P fork C\n"
      "C fork D\n"
      "D write 0\n"
      "spawn Q\n"
      "Q mmap 8 2\n"
      "Q write 8\n");
  // Needs Q's mmap and write only: P, C and D all go, as one process removal.
  auto fails = [](const Script& t) {
    bool mapped = false;
    for (const Op& op : t.ops) {
      if (op.verb == Verb::mmap && op.a == 8) mapped = true;
      if (mapped && op.verb == Verb::write && op.a == 8) return true;
    }
    return false;
  };
  EXPECT_EQ(script_text(shrink(s, fails)), "spawn Q\nQ mmap 8 2\nQ write 8\n");
}

TEST(Shrink, EveryCandidateParses) {
  const Script s = parse("spawn P\nP mmap 0 4\nP fork C\nC exit\nP write 0\nP exit\n");
  int calls = 0;
  auto fails = [&](const Script& t) {
    ++calls;
    // The predicate only ever sees parsed scripts: re-parsing its text works.
    EXPECT_TRUE(parse_script(script_text(t), "again.rml").ok());
    return t.ops.size() >= 3;
  };
  const Script small = shrink(s, fails);
  EXPECT_EQ(small.ops.size(), 3u);
  EXPECT_GT(calls, 0);
}

TEST(Shrink, ShrinkFailureKeepsTheSameRule) {
  // A script that passes stays as it is: shrink_failure needs a failing one,
  // and no candidate can fail "the same way" as a failure it never had.
  const Script s = parse("spawn P\nP mmap 0 4\nP write 0\n");
  Failure f;
  f.what = "I6 num_active_vmas";
  EXPECT_EQ(script_text(shrink_failure(s, f, {})), script_text(s));
}

}  // namespace
}  // namespace rmaplab
