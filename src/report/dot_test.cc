// The DOT picture of a small known state:
//
//   P [0,8) ──1 (bold)──> #1 (root)
//   C [0,8) ──1 (bold)──> #2 ┄parent┄> #1
//           ──2─────────────────────> #1
#include <gtest/gtest.h>

#include "model/machine.h"
#include "report_test_util.h"
#include "rmaplab/report.h"
#include "rmaplab/state.h"
#include "run/model_of.h"

namespace rmaplab::report {
namespace {

constexpr std::string_view kFork = "spawn P\nP mmap 0 8\nP write 0 4\nP fork C\nspawn Q\n";

std::string dot_after(const Script& script, std::size_t ops) {
  RunOptions options;
  options.layouts = Layouts::none;
  Simulation sim(script, options);
  for (std::size_t i = 0; i < ops; ++i) {
    auto rec = sim.step();
    EXPECT_TRUE(rec.ok()) << rec.error().message;
  }
  return state_dot(State(sim));
}

// The id of `name`'s only VMA.
std::uint32_t vma_id(const Simulation& sim, int slot) {
  const model::mm_struct* mm = machine_of(sim).process(slot);
  return mm && !mm->vmas.empty() ? mm->vmas.begin()->second->id : 0;
}

bool has(const std::string& dot, const std::string& s) { return dot.find(s) != std::string::npos; }

TEST(Dot, ForkedState) {
  const Script script = parse_or_die(kFork);
  RunOptions options;
  options.layouts = Layouts::none;
  Simulation sim(script, options);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sim.step().ok());
  const std::string dot = state_dot(State(sim));
  const std::string p = "vma" + std::to_string(vma_id(sim, 0));
  const std::string c = "vma" + std::to_string(vma_id(sim, 1));

  EXPECT_EQ(dot.rfind("digraph rmaplab {\n", 0), 0u) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
  EXPECT_TRUE(has(dot, "label=\"test.rml after line 5: spawn Q\"")) << dot;
  // Processes as clusters, in slot order; a process without VMAs still shows.
  EXPECT_TRUE(has(dot, "subgraph cluster_0 {\n    label=\"P\";")) << dot;
  EXPECT_TRUE(has(dot, "subgraph cluster_1 {\n    label=\"C\";")) << dot;
  EXPECT_TRUE(has(dot, "subgraph cluster_2 {\n    label=\"Q\";\n    empty2 [")) << dot;
  EXPECT_LT(dot.find("cluster_0"), dot.find("cluster_1"));
  // VMAs with range, protection and pgoff.
  EXPECT_TRUE(has(dot, p + " [shape=box, label=\"[0,8) rw-p\\npgoff 0x100000000\\n4 present\"]"))
      << dot;
  EXPECT_TRUE(has(dot, c + " [shape=box, label=\"[0,8) rw-p\\npgoff 0x100000000\\n4 present\"]"))
      << dot;
  // anon_vmas with their counters.
  EXPECT_TRUE(has(dot,
                  "av1 [shape=ellipse, label=\"anon_vma #1 (root)\\nrefcount 2\\n"
                  "num_children 2\\nnum_active_vmas 1\"]"))
      << dot;
  EXPECT_TRUE(has(dot,
                  "av2 [shape=ellipse, label=\"anon_vma #2\\nroot #1\\nrefcount 1\\n"
                  "num_children 0\\nnum_active_vmas 1\"]"))
      << dot;
  // One edge per AVC, numbered in chain order (newest first), the active one bold.
  EXPECT_TRUE(has(dot, p + " -> av1 [label=\"1\", style=bold")) << dot;
  EXPECT_TRUE(has(dot, c + " -> av2 [label=\"1\", style=bold")) << dot;
  EXPECT_TRUE(has(dot, c + " -> av1 [label=\"2\"];")) << dot;
  EXPECT_FALSE(has(dot, p + " -> av2"));
  // The parent link, dashed; a root has none.
  EXPECT_TRUE(has(dot, "av2 -> av1 [style=dashed")) << dot;
  EXPECT_FALSE(has(dot, "av1 -> av")) << dot;
}

TEST(Dot, Deterministic) {
  const Script script = parse_or_die(kFork);
  EXPECT_EQ(dot_after(script, 5), dot_after(script, 5));
}

TEST(Dot, EmptyStateBeforeTheFirstOperation) {
  const Script script = parse_or_die(kFork);
  const std::string dot = dot_after(script, 0);
  EXPECT_TRUE(has(dot, "before the first operation")) << dot;
  EXPECT_FALSE(has(dot, "cluster_")) << dot;
  EXPECT_FALSE(has(dot, "av1")) << dot;
}

TEST(Dot, ExitedProcessesAndFreedAnonVmasDisappear) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0\nP fork C\nC exit\n");
  const std::string dot = dot_after(script, 5);
  EXPECT_FALSE(has(dot, "cluster_1")) << dot;
  EXPECT_FALSE(has(dot, "av2")) << dot;
  EXPECT_TRUE(has(dot, "av1 [")) << dot;
}

TEST(Dot, SharedMemoryHasNoAnonVma) {
  const Script script = parse_or_die("spawn P\nP mmap 0 4 rw shared\nP write 0\n");
  const std::string dot = dot_after(script, 3);
  EXPECT_TRUE(has(dot, "rw-s")) << dot;
  EXPECT_TRUE(has(dot, "shmem #")) << dot;
  EXPECT_FALSE(has(dot, "-> av")) << dot;
}

}  // namespace
}  // namespace rmaplab::report
