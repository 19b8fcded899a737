// The --json document: exactly the language's fields plus the documented
// extras, with the run's numbers.
#include <gtest/gtest.h>

#include <set>

#include "report_test_util.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

using nlohmann::json;

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

TEST(Json, TopLevelAndPerOperationFields) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0 2\nP fork C\n");
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok()) << report.error().message;
  const json doc = run_json(*report);
  EXPECT_EQ(keys(doc), (std::set<std::string>{"ops", "live", "model"}));
  EXPECT_EQ(doc["model"], "linux-6.18");
  EXPECT_EQ(keys(doc["live"]), (std::set<std::string>{"anon_vma", "avc"}));
  EXPECT_EQ(doc["live"]["anon_vma"], report->live_anon_vma);
  EXPECT_EQ(doc["live"]["avc"], report->live_avc);
  ASSERT_EQ(doc["ops"].size(), 4u);
  for (const json& op : doc["ops"]) {
    std::set<std::string> expected{"line", "result", "anon_vma_alloc", "anon_vma_free",
                                   "avc_alloc", "avc_free", "op", "events",
                                   "call_sites", "live", "layout", "locks"};
    // Only a fork asks the reuse rule; P's anon_vma is in use, so it refuses.
    if (op["op"] == "P fork C") {
      expected.insert("fork_reuse");
      EXPECT_EQ(op["fork_reuse"],
                (json::array({{{"anon_vma", 1}, {"vma_start", 0}, {"num_children", 1},
                               {"num_active_vmas", 1}, {"is_pvma_anon_vma", true},
                               {"reused", false}}})));
    }
    EXPECT_EQ(keys(op), expected) << op.dump();
    EXPECT_EQ(keys(op["live"]), (std::set<std::string>{"anon_vma", "avc"}));
    EXPECT_EQ(keys(op["locks"]),
              (std::set<std::string>{"anon_vma_root_write", "anon_vma_root_read", "mmap_lock_write",
                                     "mmap_lock_read", "page_table_lock", "pte_lock"}));
    EXPECT_FALSE(op.contains("metrics")) << "per-operation metrics only when asked";
    for (const json& e : op["events"])
      EXPECT_EQ(keys(e), (std::set<std::string>{"op", "kind", "site", "id"}));
  }
}

TEST(Json, NumbersMirrorTheRun) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0 2\nP fork C\n");
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok());
  const json doc = run_json(*report);
  for (std::size_t i = 0; i < report->ops.size(); ++i) {
    const OpRecord& r = report->ops[i];
    const json& op = doc["ops"][i];
    EXPECT_EQ(op["line"], r.line);
    EXPECT_EQ(op["op"], r.text);
    EXPECT_EQ(op["result"], r.result);
    EXPECT_EQ(op["anon_vma_alloc"], r.counts.anon_vma_alloc);
    EXPECT_EQ(op["anon_vma_free"], r.counts.anon_vma_free);
    EXPECT_EQ(op["avc_alloc"], r.counts.avc_alloc);
    EXPECT_EQ(op["avc_free"], r.counts.avc_free);
    ASSERT_EQ(op["events"].size(), r.events.size());
    for (std::size_t e = 0; e < r.events.size(); ++e) {
      EXPECT_EQ(op["events"][e]["op"], r.events[e].type == EventType::alloc ? "alloc" : "free");
      EXPECT_EQ(op["events"][e]["kind"],
                r.events[e].kind == ObjectKind::anon_vma ? "anon_vma" : "avc");
      EXPECT_EQ(op["events"][e]["site"], to_string(r.events[e].site));
      EXPECT_EQ(op["events"][e]["id"], r.events[e].id);
    }
  }
  // Line 3, the first write: a root anon_vma and its AVC, from __anon_vma_prepare.
  const json& write = doc["ops"][2];
  EXPECT_EQ(write["line"], 3);
  EXPECT_EQ(write["anon_vma_alloc"], 1);
  EXPECT_EQ(write["avc_alloc"], 1);
  EXPECT_EQ(write["call_sites"],
            json::parse(R"({"__anon_vma_prepare": {"anon_vma_alloc": 1, "anon_vma_free": 0,
                                                     "avc_alloc": 1, "avc_free": 0}})"));
  // Operations without events have no call sites.
  EXPECT_EQ(doc["ops"][0]["call_sites"], json::object());
  // Layout after the fork: both processes, one VMA each, C's chain has 2 AVCs.
  const json& layout = doc["ops"][3]["layout"];
  EXPECT_EQ(keys(layout), (std::set<std::string>{"P", "C"}));
  ASSERT_EQ(layout["C"].size(), 1u);
  EXPECT_EQ(keys(layout["C"][0]),
            (std::set<std::string>{"start", "end", "prot", "pgoff", "anon_vma", "chain"}));
  EXPECT_EQ(layout["C"][0]["start"], 0);
  EXPECT_EQ(layout["C"][0]["end"], 8);
  EXPECT_EQ(layout["C"][0]["prot"], "rw-p");
  EXPECT_EQ(layout["C"][0]["chain"], 2);
  EXPECT_EQ(layout["P"][0]["chain"], 1);
  EXPECT_EQ(doc["ops"][3]["live"], json::parse(R"({"anon_vma": 2, "avc": 3})"));
}

TEST(Json, ViolationAtTopLevel) {
  RunReport report;
  report.violation = Violation{"I6 num_active_vmas", "broken", 4, "P fork C"};
  const json doc = run_json(report);
  EXPECT_EQ(keys(doc), (std::set<std::string>{"ops", "live", "model", "violation"}));
  EXPECT_EQ(doc["violation"], json::parse(R"({"rule": "I6 num_active_vmas", "message": "broken",
                                              "line": 4, "op": "P fork C"})"));
}

TEST(Json, ErrorResultsAreNames) {
  const Script script = parse_or_die("spawn P\nP munmap 0 4\nP mremap 0 4 8 4\n");
  auto report = run_script(script, {});
  ASSERT_TRUE(report.ok());
  const json doc = run_json(*report);
  EXPECT_EQ(doc["ops"][1]["result"], "ok");
  EXPECT_EQ(doc["ops"][2]["result"], "EFAULT");
}

}  // namespace
}  // namespace rmaplab::report
