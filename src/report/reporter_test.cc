// The Reporter: which form goes where, and the violation path of `run --check`.
#include <gtest/gtest.h>

#include <sstream>

#include "report_test_util.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

RunReport violated_run(const Script& script) {
  auto run = run_script(script, {});
  EXPECT_TRUE(run.ok());
  RunReport r = std::move(run).value();
  r.ops.resize(2);  // as if the checker stopped the run after line 2
  r.violation = Violation{"I6 num_active_vmas",
                          "anon_vma #1 has num_active_vmas 2, but 1 VMA uses it", 2, "P mmap 0 8"};
  return r;
}

TEST(Reporter, TextRunIsTheTable) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0\n");
  auto run = run_script(script, {});
  ASSERT_TRUE(run.ok());
  std::ostringstream out, err;
  Reporter(Format::text, out, err).run(script, *run, {.checked = true});
  EXPECT_EQ(out.str(), run_table(*run, {.checked = true}));
  EXPECT_EQ(err.str(), "");
}

TEST(Reporter, JsonRunIsTheDocument) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0\n");
  auto run = run_script(script, {});
  ASSERT_TRUE(run.ok());
  std::ostringstream out, err;
  Reporter(Format::json, out, err).run(script, *run, {});
  EXPECT_EQ(nlohmann::json::parse(out.str()), run_json(*run));
  EXPECT_EQ(err.str(), "");
}

TEST(Reporter, ViolationPrintsTheRowsSoFarThenOneSentence) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0\n");
  const RunReport r = violated_run(script);
  std::ostringstream out, err;
  Reporter(Format::text, out, err).run(script, r, {.checked = true});
  EXPECT_EQ(out.str(), run_rows(r));
  EXPECT_EQ(out.str().find("invariants checked"), std::string::npos);
  EXPECT_EQ(err.str(),
            "test.rml:2: invariant I6 num_active_vmas broken after 'P mmap 0 8': anon_vma #1 has "
            "num_active_vmas 2, but 1 VMA uses it\n");
}

TEST(Reporter, JsonViolationIsInTheDocumentToo) {
  const Script script = parse_or_die("spawn P\nP mmap 0 8\nP write 0\n");
  const RunReport r = violated_run(script);
  std::ostringstream out, err;
  Reporter(Format::json, out, err).run(script, r, {.checked = true});
  const auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["ops"].size(), 2u);
  EXPECT_EQ(doc["violation"]["rule"], "I6 num_active_vmas");
  EXPECT_NE(err.str().find("invariant I6"), std::string::npos);
}

TEST(Reporter, MessagesGoToErrOnOneLine) {
  std::ostringstream out, err;
  Reporter(Format::text, out, err).message("x.rml:1:1: bad");
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "x.rml:1:1: bad\n");
}

}  // namespace
}  // namespace rmaplab::report
