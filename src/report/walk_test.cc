// The rmap walk of one folio, and the clear refusals around it.
//
//   page: 0 1 2 3 4 5 6 7
//   P     w w . . . r . .     P's VMA [0,8): pages 0,1 written, 5 read
//   fork C; C writes page 1: C's page 1 is a COW copy under C's anon_vma
#include <gtest/gtest.h>

#include "report_test_util.h"
#include "rmaplab/report.h"
#include "rmaplab/state.h"

namespace rmaplab::report {
namespace {

constexpr std::string_view kScript = R"(spawn P
P mmap 0 8
P write 0 2
P read 5
P fork C
C write 1
P mmap 16 4 rw shared
P write 16
)";

class WalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = parse_or_die(kScript);
    RunOptions options;
    options.layouts = Layouts::none;
    sim_ = std::make_unique<Simulation>(script_, options);
    while (!sim_->done()) ASSERT_TRUE(sim_->step().ok());
  }
  Script script_;
  std::unique_ptr<Simulation> sim_;
};

const WalkCandidate* find(const Walk& w, std::string_view process) {
  for (const WalkCandidate& c : w.candidates)
    if (c.process == process) return &c;
  return nullptr;
}

TEST_F(WalkTest, SharedCowPageIsFoundInParentAndChild) {
  auto w = walk_page(State(*sim_), "P", 0);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->line, 8);
  EXPECT_EQ(w->anon_vma, 1u);
  EXPECT_EQ(w->index, 0x100000000u);
  EXPECT_EQ(w->mapcount, 2u);
  EXPECT_FALSE(w->exclusive);
  ASSERT_EQ(w->candidates.size(), 2u);
  for (std::string_view p : {"P", "C"}) {
    const WalkCandidate* c = find(*w, p);
    ASSERT_NE(c, nullptr) << p;
    EXPECT_EQ(c->vma_start, 0u);
    EXPECT_EQ(c->vma_end, 8u);
    EXPECT_EQ(c->page, 0u);
    EXPECT_EQ(c->mapping, WalkCandidate::Mapping::maps);
  }
  const std::string text = walk_text(*w);
  EXPECT_NE(text.find("anon_vma #1"), std::string::npos) << text;
  EXPECT_NE(text.find("mapcount 2"), std::string::npos) << text;
}

TEST_F(WalkTest, CopiedPageIsACandidateThatDoesNotMap) {
  auto w = walk_page(State(*sim_), "P", 1);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->mapcount, 1u);
  ASSERT_NE(find(*w, "P"), nullptr);
  EXPECT_EQ(find(*w, "P")->mapping, WalkCandidate::Mapping::maps);
  ASSERT_NE(find(*w, "C"), nullptr);
  EXPECT_EQ(find(*w, "C")->mapping, WalkCandidate::Mapping::other_folio);
  EXPECT_NE(find(*w, "C")->other_folio, w->folio);
  const std::string text = walk_text(*w);
  EXPECT_NE(text.find("does not map"), std::string::npos) << text;
  EXPECT_EQ(walk_json(*w)["candidates"].size(), 2u);
  // The kernel's walk: the root rwsem for read, a PTE lock per candidate
  // (both have a page table there).
  EXPECT_EQ(w->pte_locks, 2u);
  EXPECT_EQ(walk_json(*w)["locks"], (nlohmann::json{{"anon_vma_root_read", 1}, {"pte_lock", 2}}));
}

TEST_F(WalkTest, ChildsCopyLivesUnderTheChildsAnonVmaOnly) {
  auto w = walk_page(State(*sim_), "C", 1);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->anon_vma, 2u);
  EXPECT_TRUE(w->exclusive);
  ASSERT_EQ(w->candidates.size(), 1u);
  EXPECT_EQ(w->candidates[0].process, "C");
  EXPECT_EQ(w->candidates[0].mapping, WalkCandidate::Mapping::maps);
}

TEST_F(WalkTest, Refusals) {
  auto zero = walk_page(State(*sim_), "P", 5);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("zero page"), std::string::npos) << zero.error().message;
  auto unfaulted = walk_page(State(*sim_), "P", 6);
  ASSERT_FALSE(unfaulted.ok());
  EXPECT_NE(unfaulted.error().message.find("maps nothing at page 6"), std::string::npos)
      << unfaulted.error().message;
  auto unmapped = walk_page(State(*sim_), "P", 100);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_NE(unmapped.error().message.find("no VMA covers it"), std::string::npos)
      << unmapped.error().message;
  auto shmem = walk_page(State(*sim_), "P", 16);
  ASSERT_FALSE(shmem.ok());
  EXPECT_NE(shmem.error().message.find("shared memory"), std::string::npos)
      << shmem.error().message;
  auto nobody = walk_page(State(*sim_), "X", 0);
  ASSERT_FALSE(nobody.ok());
  EXPECT_NE(nobody.error().message.find("no process named 'X'"), std::string::npos)
      << nobody.error().message;
}

TEST(Walk, ProcessNotYetCreatedOrExited) {
  const Script script = parse_or_die("spawn P\nP mmap 0 1\nP write 0\nP fork C\nC exit\n");
  Simulation sim(script, {});
  ASSERT_TRUE(sim.step().ok());
  auto early = walk_page(State(sim), "C", 0);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message.find("does not exist yet after line 1 (line 4 creates it)"),
            std::string::npos)
      << early.error().message;
  while (!sim.done()) ASSERT_TRUE(sim.step().ok());
  auto late = walk_page(State(sim), "C", 0);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("C has exited after line 5"), std::string::npos)
      << late.error().message;
}

}  // namespace
}  // namespace rmaplab::report
