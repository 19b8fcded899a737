// The model-versus-kernel table, on a kernel run made from the model's own
// record (so they agree) and then altered at one operation.
#include <gtest/gtest.h>

#include "report_test_util.h"
#include "rmaplab/kernel.h"
#include "rmaplab/report.h"
#include "rmaplab/verify.h"

namespace rmaplab::report {
namespace {

kernel::Run kernel_like(const RunReport& model) {
  kernel::Run run;
  run.kernel_release = "6.18.0-test";
  for (const OpRecord& op : model.ops) {
    kernel::OpResult k;
    k.line = op.line;
    k.result = op.result;
    for (const Event& e : op.events) {
      kernel::Event ke;
      ke.type = e.type;
      ke.kind = e.kind;
      ke.call_site = to_string(e.site);
      ke.id = e.id;
      k.events.push_back(ke);
    }
    run.ops.push_back(std::move(k));
  }
  run.live_anon_vma = model.live_anon_vma;
  run.live_avc = model.live_avc;
  return run;
}

constexpr std::string_view kFork = "spawn P\nP mmap 0 8\nP write 0\nP fork C\n";

TEST(Comparison, AgreeingRuns) {
  const Script script = parse_or_die(kFork);
  auto model = run_script(script, {});
  ASSERT_TRUE(model.ok());
  const kernel::Run run = kernel_like(*model);
  const Comparison c = compare_runs(script, *model, run);
  ASSERT_TRUE(c.agree());
  const std::string text = comparison_table(script, c);
  EXPECT_NE(text.find("   4  P fork C    ok +1/-0 +2/-0  ok +1/-0 +2/-0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("agree on all 4 operations"), std::string::npos) << text;
}

TEST(Comparison, DisagreementNamesLineKindAndMessage) {
  const Script script = parse_or_die(kFork);
  auto model = run_script(script, {});
  ASSERT_TRUE(model.ok());
  kernel::Run run = kernel_like(*model);
  kernel::Event extra;
  extra.type = EventType::alloc;
  extra.kind = ObjectKind::anon_vma_chain;
  extra.call_site = "anon_vma_clone";
  extra.id = 99;
  run.ops[3].events.push_back(extra);
  const Comparison c = compare_runs(script, *model, run);
  ASSERT_FALSE(c.agree());
  const std::string text = comparison_table(script, c);
  EXPECT_NE(text.find("ok +1/-0 +3/-0  counts, events\n"), std::string::npos) << text;
  EXPECT_NE(text.find("disagree on 1 of 4 operations"), std::string::npos) << text;
  EXPECT_NE(text.find("test.rml:4: counts differ after 'P fork C': "), std::string::npos) << text;

  std::ostringstream out, err;
  Reporter(Format::json, out, err).comparison(script, c, run);
  const auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["agree"], false);
  EXPECT_EQ(doc["kernel"], "6.18.0-test");
  EXPECT_EQ(doc["model"], "linux-6.18");
}

}  // namespace
}  // namespace rmaplab::report
