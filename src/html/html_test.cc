// The report page in a real browser: Debian's chromium, headless, loads the
// page with #selftest, which steps the timeline with the keyboard from the
// start and writes what the page shows at each position into the DOM; the
// test reads it from --dump-dom. Expected numbers come from the examples'
// kernel recordings (NAME.expected.json, made by rmaplab verify
// --kernel-only --json), not from the model.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rmaplab/html.h"
#include "rmaplab/kernel.h"
#include "rmaplab/profile.h"
#include "rmaplab/script.h"

namespace rmaplab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string chromium() {
  if (const char* c = std::getenv("RMAPLAB_CHROMIUM")) return c;
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (::access(c, X_OK) == 0) return c;
  return "";
}

std::string example(const std::string& name) {
  return std::string(RMAPLAB_SOURCE_DIR) + "/examples/" + name;
}

// Per test process, so concurrent runs do not share files or a browser
// profile.
fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("rmaplab-html-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path write_page(const Script& script, const HtmlOptions& options, const std::string& name) {
  const fs::path path = scratch(name);
  std::ofstream out(path, std::ios::binary);
  auto summary = write_html_report(script, options, out);
  EXPECT_TRUE(summary) << (summary ? "" : summary.error().message);
  return path;
}

struct Browser {
  json result;      // the page's #selftest-result
  std::string log;  // chromium's stderr (console messages among it)
};

std::string unescape_html(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    const std::string entity = s.substr(i, semi - i + 1);
    out += entity == "&amp;"    ? "&"
           : entity == "&lt;"   ? "<"
           : entity == "&gt;"   ? ">"
           : entity == "&quot;" ? "\""
                                : entity;
    i = semi;
  }
  return out;
}

// Loads `page` in headless chromium with `hash` and returns the self-test's
// result.
Browser load(const fs::path& page, const std::string& hash) {
  Browser b;
  const fs::path dom = scratch(page.filename().string() + ".dom");
  const fs::path log = scratch(page.filename().string() + ".log");
  const std::string cmd = chromium() + " --headless --no-sandbox --disable-gpu --no-first-run" +
                          " --user-data-dir=" + scratch("profile").string() +
                          " --enable-logging=stderr --v=0 --dump-dom 'file://" + page.string() +
                          hash + "' > " + dom.string() + " 2> " + log.string();
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  b.log = read_file(log);
  const std::string html = read_file(dom);
  const std::string open = "<pre id=\"selftest-result\">";
  const std::size_t at = html.find(open);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no self-test result in the page's DOM; chromium said:\n" << b.log;
    return b;
  }
  const std::size_t end = html.find("</pre>", at);
  b.result = json::parse(unescape_html(html.substr(at + open.size(), end - at - open.size())));
  return b;
}

// The live anon_vmas and AVCs after each operation, as the kernel counted
// them (the example's recording).
std::vector<std::pair<long, long>> kernel_live(const std::string& name) {
  const json expected = json::parse(read_file(example(name + ".expected.json")));
  std::vector<std::pair<long, long>> out;
  long av = 0, avc = 0;
  for (const json& op : expected.at("ops")) {
    av += op.at("anon_vma_alloc").get<long>() - op.at("anon_vma_free").get<long>();
    avc += op.at("avc_alloc").get<long>() - op.at("avc_free").get<long>();
    out.emplace_back(av, avc);
  }
  return out;
}

class HtmlInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (chromium().empty())
      GTEST_SKIP() << "chromium is not installed (scripts/install-deps installs it; or set "
                      "RMAPLAB_CHROMIUM)";
  }
};

// The page of an example, stepped from the start with the arrow key: at each
// position the timeline names that operation, and the drawing holds one
// anon_vma box and one AVC edge per object the kernel had alive then.
void check_example(const std::string& name, const HtmlOptions& options) {
  auto script = load_script(example(name + ".rml"));
  ASSERT_TRUE(script) << script.error().message;
  const fs::path page = write_page(*script, options, name + ".html");
  const Browser b = load(page, "#selftest");
  ASSERT_TRUE(b.result.is_object());
  EXPECT_TRUE(b.result.at("errors").empty()) << b.result.at("errors").dump();
  EXPECT_EQ(b.log.find("Uncaught"), std::string::npos) << b.log;

  const auto live = kernel_live(name);
  ASSERT_EQ(b.result.at("ops").get<std::size_t>(), script->ops.size());
  ASSERT_EQ(live.size(), script->ops.size());
  const json& steps = b.result.at("steps");
  ASSERT_EQ(steps.size(), script->ops.size() + 1);
  EXPECT_EQ(steps[0].at("anon_vmas").size(), 0u);
  EXPECT_EQ(steps[0].at("processes"), 0);
  bool changed = false;
  for (std::size_t i = 1; i < steps.size(); ++i) {
    const json& s = steps[i];
    const Op& op = script->ops[i - 1];
    SCOPED_TRACE("after line " + std::to_string(op.line) + ": " + format_op(*script, op));
    EXPECT_EQ(s.at("pos"), i);
    EXPECT_EQ(s.at("slider"), i);
    EXPECT_EQ(s.at("selected"), format_op(*script, op));
    EXPECT_EQ(s.at("anon_vmas").size(), static_cast<std::size_t>(live[i - 1].first));
    EXPECT_EQ(s.at("avc_edges").get<long>(), live[i - 1].second);
    if (s.at("anon_vmas") != steps[i - 1].at("anon_vmas") ||
        s.at("vmas") != steps[i - 1].at("vmas"))
      changed = true;
  }
  EXPECT_TRUE(changed) << "stepping the timeline never changed the drawing";
  // The page opens at the end of the run.
  EXPECT_EQ(b.result.at("end").at("anon_vmas"), steps.back().at("anon_vmas"));
  EXPECT_GE(b.result.at("plots").get<int>(), 7);
}

TEST_F(HtmlInBrowser, FirstFaultShowsTheAnonVmaItAllocates) { check_example("01-first-fault", {}); }

TEST_F(HtmlInBrowser, ForkChainShowsTheForestAndItsCounters) {
  check_example("04-deep-fork-chain-reuse", {});
  // After the first fork (line 19 of the script, the fourth operation) G1's
  // anon_vma is a child of G0's: two boxes (the kernel allocated two, see
  // check_example), one parent edge, and the root's counters as
  // anon_vma_fork leaves them: a reference for its non-empty tree and one
  // for the child, num_children for its self link and the child.
  auto script = load_script(example("04-deep-fork-chain-reuse.rml"));
  ASSERT_TRUE(script);
  const Browser b = load(scratch("04-deep-fork-chain-reuse.html"), "#selftest");
  const json& after_fork = b.result.at("steps")[4];
  ASSERT_EQ(after_fork.at("anon_vmas").size(), 2u);
  EXPECT_EQ(after_fork.at("parent_edges"), 1);
  const json& root =
      after_fork.at("anon_vmas")[0];  // [id, refcount, num_children, num_active_vmas]
  EXPECT_EQ(root[0], 1);
  EXPECT_EQ(root[1], 2);  // its tree, and its child
  EXPECT_EQ(root[2], 2);  // itself, and its child
  EXPECT_EQ(root[3], 1);  // G0's VMA
  EXPECT_GT(after_fork.at("changed").get<int>(), 0);
}

TEST_F(HtmlInBrowser, AnAnonVmaClickedOnSaysWhyEachForkReusedItOrNot) {
  // Y1 (#2) of examples/04-deep-fork-chain-reuse.rml: "G1 fork G2" (the
  // sixth operation) asks about it while G1's VMA still uses it, and is
  // refused; "G2 fork G3" (the eighth) finds it unused with one child and
  // reuses it (6.18's rule: num_active_vmas == 0, num_children < 2).
  check_example("04-deep-fork-chain-reuse", {});
  const Browser b = load(scratch("04-deep-fork-chain-reuse.html"), "#selftest&pick=2");
  const json& steps = b.result.at("steps");
  ASSERT_GT(steps.size(), 8u);
  EXPECT_TRUE(steps[5].at("inspect").empty()) << steps[5].at("inspect");
  ASSERT_EQ(steps[6].at("inspect").size(), 1u);
  const std::string refused = steps[6].at("inspect")[0];
  EXPECT_NE(refused.find("G1 fork G2"), std::string::npos) << refused;
  EXPECT_NE(refused.find("not reused, seeing num_children 0, num_active_vmas 1"), std::string::npos)
      << refused;
  ASSERT_EQ(steps[8].at("inspect").size(), 2u);
  const std::string reused = steps[8].at("inspect")[1];
  EXPECT_NE(reused.find("G2 fork G3"), std::string::npos) << reused;
  EXPECT_NE(reused.find(": reused, seeing num_children 1, num_active_vmas 0"), std::string::npos)
      << reused;
}

TEST_F(HtmlInBrowser, SharedMemoryWithFoliosDrawsPages) {
  HtmlOptions options;
  options.folios = true;
  check_example("13-shared-memory", options);
  const Browser b = load(scratch("13-shared-memory.html"), "#selftest");
  int most = 0;
  for (const json& s : b.result.at("steps")) most = std::max(most, s.at("pages").get<int>());
  EXPECT_GT(most, 0);
}

TEST_F(HtmlInBrowser, TwoProfilesMarkTheFirstDivergence) {
  auto script = load_script(example("04-deep-fork-chain-reuse.rml"));
  ASSERT_TRUE(script);
  HtmlOptions options;
  options.profiles = {model::find_profile("linux-6.18"), model::find_profile("no-reuse")};
  ASSERT_NE(options.profiles[1], nullptr);
  const Browser b = load(write_page(*script, options, "two.html"), "#selftest");
  EXPECT_TRUE(b.result.at("errors").empty()) << b.result.at("errors").dump();
  ASSERT_EQ(b.result.at("runs").size(), 2u);
  bool marked = false;
  for (const json& banner : b.result.at("banners"))
    if (banner.get<std::string>().find("first divergence") != std::string::npos) marked = true;
  EXPECT_TRUE(marked) << b.result.at("banners").dump();
}

// 3.19-5.19's reuse rule on the CVE's script: the checker finds I11 broken
// after the sixth fork, and the page shows it there with what I11 demands.
TEST_F(HtmlInBrowser, AViolationIsShownAtItsOperationWithTheRule) {
  auto script = load_script(example("cve-2022-42703.rml"));
  ASSERT_TRUE(script);
  HtmlOptions options;
  options.profiles = {model::find_profile("degree")};
  ASSERT_NE(options.profiles[0], nullptr);
  const fs::path page = scratch("cve.html");
  {
    std::ofstream out(page, std::ios::binary);
    auto summary = write_html_report(*script, options, out);
    ASSERT_TRUE(summary);
    ASSERT_TRUE(summary->violation);
    EXPECT_EQ(summary->violation->rule.substr(0, 4), "I11 ");
  }
  const Browser b = load(page, "#selftest");
  EXPECT_TRUE(b.result.at("errors").empty()) << b.result.at("errors").dump();
  const json& v = b.result.at("runs")[0].at("violation");
  EXPECT_EQ(v.at("op"), "G5 fork G6");
  EXPECT_EQ(v.at("explanation"), rule_explanation("I11"));
  // The operation it broke at, and only that one, says so.
  const json& steps = b.result.at("steps");
  for (std::size_t i = 1; i < steps.size(); ++i)
    EXPECT_EQ(steps[i].at("violation_here"), i + 1 == steps.size()) << i;
}

// The kernel's observations beside the model's: under 6.18 every operation
// agrees; under a rule without reuse the forks after the chain has grown
// allocate what the kernel does not, and those cells are red.
TEST_F(HtmlInBrowser, KernelBesideTheModelMarksMismatchesInRed) {
  if (auto probe = kernel::probe(); !probe) GTEST_SKIP() << probe.error().message;
  auto script = load_script(example("04-deep-fork-chain-reuse.rml"));
  ASSERT_TRUE(script);
  for (const char* profile : {"linux-6.18", "no-reuse"}) {
    SCOPED_TRACE(profile);
    HtmlOptions options;
    options.kernel = true;
    options.profiles = {model::find_profile(profile)};
    const fs::path page = scratch(std::string("kernel-") + profile + ".html");
    std::ofstream out(page, std::ios::binary);
    auto summary = write_html_report(*script, options, out);
    out.close();
    ASSERT_TRUE(summary);
    ASSERT_EQ(summary->kernel_error, "");
    const bool agree = std::string(profile) == "linux-6.18";
    EXPECT_EQ(summary->kernel_differences == 0, agree);
    const Browser b = load(page, "#selftest");
    EXPECT_TRUE(b.result.at("errors").empty()) << b.result.at("errors").dump();
    int red = 0;
    for (const json& s : b.result.at("steps")) red = std::max(red, s.at("mismatches").get<int>());
    EXPECT_EQ(red == 0, agree);
  }
}

TEST(RuleExplanation, NamesWhatEachCheckerRuleDemands) {
  EXPECT_NE(rule_explanation("I6 num_active_vmas").find("num_active_vmas"), std::string::npos);
  EXPECT_NE(rule_explanation("num_children underflow"), "");
  EXPECT_EQ(rule_explanation("no such rule"), "");
}

}  // namespace
}  // namespace rmaplab
