// End-to-end tests of `rmaplab report`: the page it writes, its exit codes
// and messages, and a directory of scripts. (What the page shows, in a real
// browser: src/html/html_test.cc.)
#include <gtest/gtest.h>

#include "cli_util.h"

namespace rmaplab::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ReportCli, WritesOneSelfContainedPage) {
  const auto page = scratch() / "fork.html";
  const auto r = run_cli({"report", "examples/03-fork.rml", "-o", page.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string html = slurp(page);
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  EXPECT_TRUE(contains(html, "<style>"));
  EXPECT_TRUE(contains(html, "id=\"rmaplab-data\""));
  // Nothing to fetch: no external script, style sheet, image or link.
  for (const char* fetch : {"src=", "href=", "url(", "@import", "https://"})
    EXPECT_FALSE(contains(html, fetch)) << fetch;
}

TEST(ReportCli, AViolationExitsOneAndNamesTheRule) {
  const auto page = scratch() / "cve.html";
  const auto r = run_cli(
      {"report", "examples/cve-2022-42703.rml", "--profile", "degree", "-o", page.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "I11")) << r.err;
  EXPECT_TRUE(contains(slurp(page), "same_anon_vma_same_chain"));
}

TEST(ReportCli, ScriptErrorsAndUsage) {
  const auto page = scratch() / "bad.html";
  // Found only by running: the page is written up to it, and says so.
  const auto dies = write_file("dies.rml", "spawn P\nP write 0\n");
  auto r = run_cli({"report", dies.string(), "-o", page.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "dies.rml:2:")) << r.err;
  EXPECT_TRUE(contains(slurp(page), "the real process would be killed"));
  // Found by the parser: nothing is written.
  const auto bad = write_file("bad.rml", "spawn P\nP frobnicate 0\n");
  r = run_cli({"report", bad.string(), "-o", (scratch() / "none.html").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(scratch() / "none.html"));
  r = run_cli({"report", "examples/03-fork.rml", "--profile", "linux-6.18", "--profile", "no-reuse",
               "--profile", "degree", "-o", page.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "at most two profiles")) << r.err;
  r = run_cli({"report", "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(ReportCli, AnUnwritablePageExitsFour) {
  const auto r = run_cli({"report", "examples/03-fork.rml", "-o", "/nonexistent-dir/fork.html"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_TRUE(contains(r.err, "/nonexistent-dir/fork.html")) << r.err;
}

TEST(ReportCli, ADirectoryGivesOnePagePerScriptAndAnIndex) {
  const auto dir = scratch() / "examples-pages";
  const auto r = run_cli({"report", "examples", "-o", dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string index = slurp(dir / "index.html");
  for (const char* name : {"01-first-fault.html", "cve-2022-42703.html", "fork-forever.html"}) {
    EXPECT_TRUE(contains(index, name)) << name;
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  }
}

}  // namespace
}  // namespace rmaplab::test
