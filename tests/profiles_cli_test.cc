// End-to-end tests of the rule-set commands: `rmaplab profiles`,
// `--profile` on run/show/walk, and `rmaplab diff` (exit codes, streams,
// and what each shows for the CVE and fork-forever examples).
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "rmaplab/profile.h"

namespace rmaplab::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

constexpr const char* kCve = "examples/cve-2022-42703.rml";

TEST(ProfilesCli, ListsEveryProfileWithKernelsAndDefault) {
  const auto r = run_cli({"profiles"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"linux-6.18", "linux-6.12", "linux-6.1", "rfc-v1", "rfc-v2", "linux-7.0",
                           "linux-7.0-pre-fix", "degree", "no-reuse", "anon-vma-lazy",
                           "cow-context"})
    EXPECT_TRUE(contains(r.out, name)) << name << "\n" << r.out;
  EXPECT_TRUE(contains(r.out, "3.19 to 5.19")) << r.out;
  EXPECT_TRUE(contains(r.out, "(default)")) << r.out;
  const auto j = run_cli({"profiles", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc.size(), 11u);
  EXPECT_EQ(doc[0]["name"], "linux-6.18");
  EXPECT_EQ(doc[0]["default"], true);
}

TEST(ProfilesCli, AutoRunsUnderTheProfileClaimingThisKernel) {
  // The same output as naming the profile that claims `uname -r`, or, on a
  // kernel no profile claims, exit 2 with the claims listed.
  utsname u;
  ASSERT_EQ(uname(&u), 0);
  const model::Profile* expected = model::profile_claiming(model::parse_kernel_release(u.release));
  const auto a = run_cli({"run", "examples/03-fork.rml", "--profile", "auto"});
  if (!expected) {
    EXPECT_EQ(a.exit_code, 2);
    EXPECT_TRUE(contains(a.err, "no profile claims kernel")) << a.err;
    EXPECT_TRUE(contains(a.err, "linux-6.12 6.12-6.12")) << a.err;
    return;
  }
  const auto named =
      run_cli({"run", "examples/03-fork.rml", "--profile", std::string(expected->name)});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, named.out);
}

TEST(ProfilesCli, ProfilesListsTheClaims) {
  const auto doc = nlohmann::json::parse(run_cli({"profiles", "--json"}).out);
  for (const auto& p : doc) {
    if (p["name"] == "linux-6.12") {
      EXPECT_EQ(p["claims"], "6.12-6.12");
    }
    if (p["name"] == "linux-7.0") {
      EXPECT_EQ(p["claims"], "7.0-7.3");
    }
    if (p["name"] == "rfc-v2") {
      EXPECT_TRUE(p["claims"].is_null());
    }
  }
}

TEST(ProfilesCli, UnknownProfileSuggests) {
  for (const char* cmd : {"run", "show", "walk"}) {
    std::vector<std::string> args = {cmd, "examples/03-fork.rml", "--profile", "degre"};
    if (std::string(cmd) == "walk")
      args = {cmd, "examples/03-fork.rml", "P", "0", "--profile", "degre"};
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, "unknown profile 'degre' (did you mean 'degree'?)")) << r.err;
  }
}

TEST(ProfilesCli, RunJsonNamesTheProfileAndHasLocksAndMetrics) {
  const auto r =
      run_cli({"run", "--json", "--metrics", "--profile", "no-reuse", "examples/fork-forever.rml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["model"], "no-reuse");
  const auto& last = doc["ops"][doc["ops"].size() - 2];  // G10 write 1, before G10 exits
  EXPECT_EQ(last["metrics"]["max_chain"], 11);           // root + 10 fork levels
  EXPECT_EQ(last["locks"]["anon_vma_root_write"], 0);
  EXPECT_EQ(doc["metrics"]["max_chain"], 0) << "the final state: every process has exited";
  const auto plain =
      run_cli({"run", "--json", "--profile", "no-reuse", "examples/fork-forever.rml"});
  EXPECT_FALSE(nlohmann::json::parse(plain.out)["ops"][0].contains("metrics"))
      << "per-operation metrics only with --metrics";
}

TEST(ProfilesCli, CveFailsUnderDegreeAndPassesUnder618) {
  auto r = run_cli({"run", "--check", kCve});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"run", "--check", "--profile", "degree", kCve});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "invariant I11 same_anon_vma_same_chain broken after 'G5 fork G6'"))
      << r.err;
  // After G5's exit, the page G6 maps at 2 names a freed anon_vma.
  r = run_cli({"walk", "--profile", "degree", "--at", "58", kCve, "G6", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "which has been freed")) << r.err;
  r = run_cli({"walk", "--at", "58", kCve, "G6", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ProfilesCli, DiffExitCodes) {
  // rfc-v2 differs from 6.18 (exit 1), but only in locks and event order.
  auto r =
      run_cli({"diff", "examples/03-fork.rml", "--profile", "linux-6.18", "--profile", "rfc-v2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.out, "first divergence: examples/03-fork.rml:19")) << r.out;
  r = run_cli({"diff", "--semantic", "examples/03-fork.rml", "--profile", "linux-6.18", "--profile",
               "rfc-v2"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  r = run_cli({"diff", "--semantic", kCve, "--profile", "linux-6.18", "--profile", "degree"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = run_cli({"diff", kCve, "--profile", "degree", "--profile", "degree"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "no difference in 20 operations")) << r.out;
  // Usage errors.
  EXPECT_EQ(run_cli({"diff", kCve, "--profile", "degree"}).exit_code, 2);
  EXPECT_EQ(run_cli({"diff", "--profile", "degree", "--profile", "rfc-v2"}).exit_code, 2);
  EXPECT_EQ(run_cli({"diff", kCve, "--profile", "degree", "--profile", "rfc"}).exit_code, 2);
}

TEST(ProfilesCli, DiffOverGeneratedScripts) {
  const auto r = run_cli(
      {"diff", "--json", "--generated", "20", "--profile", "linux-6.18", "--profile", "rfc-v2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["scripts"], 20);
  EXPECT_EQ(doc["comparisons"].size(), 20u);
  EXPECT_EQ(doc["scripts_differing"]["result"], 0);
  EXPECT_EQ(doc["scripts_differing"]["objects"], 0);
  EXPECT_EQ(doc["scripts_differing"]["event counts"], 0);
  EXPECT_TRUE(doc["semantic_scripts"].empty());
}

}  // namespace
}  // namespace rmaplab::test
