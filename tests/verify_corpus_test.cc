// The model against the running kernel, over two corpora:
//
//   VerifyCorpus.Examples          every examples/*.rml, each in its own
//                                  kernel run (as `rmaplab verify FILE`)
//   VerifyCorpus.Generated         200 generated scripts (seeds 1-200, 8
//                                  processes, 60 operations), joined into
//                                  few kernel runs (verify_scripts); every
//                                  verb of the language appears
//   VerifyCorpus.JoinedRunsMatchLoneRuns
//                                  the joining is exact: a script's part of a
//                                  joined run equals its own run
//   VerifyCorpus.RepeatedRunsAreIdentical
//                                  the same script three times, the same
//                                  kernel results
//   VerifyCli.*                    `rmaplab verify` over several scripts, a
//                                  directory and --generate: lines, totals,
//                                  JSON and exit codes
//
// Agreement is on results, counts, events, object identity, VMA layout and
// page sharing (compare_runs, with snapshots). A failure prints each
// script's first difference of each kind and, for generated scripts, the
// seed and the command that writes the script out. A difference is a model
// bug (src/model), not a test to loosen.
//
// Every test here that needs the kernel skips, with kernel::probe()'s reason,
// where the kernel cannot be observed (not root, no tracefs, ...).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "rmaplab/gen.h"
#include "rmaplab/kernel.h"
#include "rmaplab/verify.h"

namespace rmaplab::test {
namespace {

class VerifyCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Status s = kernel::probe(); !s.ok())
      GTEST_SKIP() << "the kernel cannot be observed here: " << s.error().message;
  }
};

Script load_or_die(const std::string& path) {
  auto s = load_script(path);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().message;
    return {};
  }
  return std::move(s).value();
}

GenOptions corpus_options(std::uint64_t seed) {
  GenOptions g;
  g.seed = seed;
  g.procs = 8;
  g.ops = 60;
  return g;
}

Script generated(std::uint64_t seed) {
  const GenOptions g = corpus_options(seed);
  auto s = parse_script(generate_script(g), fmt::format("seed-{}.rml", seed));
  if (!s.ok()) {
    ADD_FAILURE() << "seed " << seed << ": " << s.error().message;
    return {};
  }
  return std::move(s).value();
}

// Why a verification is not an agreement, in full.
std::string explain(const std::string& name, const Verification& v) {
  std::string out = summary_line(name, name.size(), v);
  if (v.outcome == Verification::Outcome::differ)
    out += fmt::format("\n    ({} of {} operations differ)", v.comparison.differences,
                       v.comparison.ops.size());
  return out;
}

TEST_F(VerifyCorpus, Examples) {
  const auto files = examples();
  ASSERT_FALSE(files.empty());
  std::size_t agree = 0;
  std::string release;
  for (const auto& path : files) {
    const std::string name = "examples/" + path.filename().string();
    const Script script = load_or_die(path.string());
    const Verification v = verify_script(script);
    if (v.outcome == Verification::Outcome::agree) {
      ++agree;
      release = v.kernel.kernel_release;
      EXPECT_TRUE(v.comparison.compared_snapshots) << name;
      continue;
    }
    ADD_FAILURE() << explain(name, v);
  }
  EXPECT_EQ(agree, files.size());
  std::cout << fmt::format("{} of {} examples agree with kernel {}\n", agree, files.size(),
                           release);
}

TEST_F(VerifyCorpus, Generated) {
  constexpr std::uint64_t kFirst = 1, kCount = 200;
  std::vector<Script> scripts;
  std::set<Verb> verbs;
  for (std::uint64_t seed = kFirst; seed < kFirst + kCount; ++seed) {
    scripts.push_back(generated(seed));
    for (const Op& op : scripts.back().ops) verbs.insert(op.verb);
  }
  EXPECT_EQ(verbs.size(), 10u) << "the corpus does not use every verb";

  std::size_t agree = 0;
  std::vector<std::uint64_t> failing;
  verify_scripts(scripts, {}, [&](std::size_t i, const Verification& v) {
    const std::uint64_t seed = kFirst + i;
    if (v.outcome == Verification::Outcome::agree) {
      ++agree;
      return;
    }
    failing.push_back(seed);
    const GenOptions g = corpus_options(seed);
    ADD_FAILURE() << "seed " << seed << " (replay: rmaplab gen --seed " << seed << " --procs "
                  << g.procs << " --ops " << g.ops << " > seed-" << seed << ".rml)\n"
                  << explain(scripts[i].file, v);
  });
  EXPECT_EQ(agree, kCount) << "failing seeds: " << ::testing::PrintToString(failing);
  std::cout << fmt::format(
      "{} of {} generated scripts (seeds {}-{}, 8 processes, 60 operations) "
      "agree\n",
      agree, kCount, kFirst, kFirst + kCount - 1);
}

// What a kernel run shows, minus what legitimately changes from run to run
// (physical frame numbers, pids and kernel addresses): results, events with
// sites and ids, live totals, layouts, and pages with zero-page, mapcount,
// exclusivity and which pages share a frame.
nlohmann::json observable(const kernel::Run& run) {
  nlohmann::json ops = nlohmann::json::array();
  for (const kernel::OpResult& op : run.ops) {
    nlohmann::json events = nlohmann::json::array();
    for (const kernel::Event& e : op.events)
      events.push_back(fmt::format("{}{}:{}#{}", e.alloc ? '+' : '-',
                                   e.kind == kernel::ObjectKind::anon_vma ? 'a' : 'c', e.call_site,
                                   e.id));
    nlohmann::json after = nlohmann::json::array();
    std::map<std::uint64_t, std::string> frame;  // pfn -> first "NAME:PAGE" on it
    for (const kernel::ProcessState& p : op.after) {
      nlohmann::json vmas = nlohmann::json::array(), pages = nlohmann::json::array();
      for (const kernel::VmaLayout& v : p.vmas) vmas.push_back({v.start, v.end, v.prot});
      for (const kernel::PageInfo& pg : p.pages) {
        const std::string here = fmt::format("{}:{}", p.name, pg.page);
        pages.push_back({pg.page, pg.zero_page, pg.mapcount, pg.exclusive,
                         pg.zero_page ? "zero" : frame.emplace(pg.pfn, here).first->second});
      }
      after.push_back({p.name, p.slot, p.alive, vmas, pages});
    }
    ops.push_back({op.line, op.result, events, after});
  }
  return {{"ops", ops}, {"live", {run.live_anon_vma, run.live_avc}}};
}

// The first place two observable() values differ, for a readable failure.
std::string first_mismatch(const nlohmann::json& a, const nlohmann::json& b) {
  const nlohmann::json patch = nlohmann::json::diff(a, b);
  return patch.empty() ? "" : patch.front().dump();
}

TEST_F(VerifyCorpus, JoinedRunsMatchLoneRuns) {
  std::vector<Script> scripts;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) scripts.push_back(generated(seed));
  const std::vector<Verification> joined = verify_scripts(scripts);
  ASSERT_EQ(joined.size(), scripts.size());
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const Verification alone = verify_script(scripts[i]);
    ASSERT_EQ(alone.outcome, Verification::Outcome::agree) << explain(scripts[i].file, alone);
    ASSERT_EQ(joined[i].outcome, Verification::Outcome::agree)
        << explain(scripts[i].file, joined[i]);
    EXPECT_EQ(observable(joined[i].kernel), observable(alone.kernel))
        << scripts[i].file << ": "
        << first_mismatch(observable(alone.kernel), observable(joined[i].kernel));
  }
}

TEST_F(VerifyCorpus, RepeatedRunsAreIdentical) {
  const Script script = generated(7);
  kernel::Options options;
  options.snapshot = true;
  std::vector<nlohmann::json> runs;
  for (int i = 0; i < 3; ++i) {
    auto r = kernel::run(script, options);
    ASSERT_TRUE(r.ok()) << r.error().message;
    runs.push_back(observable(*r));
  }
  EXPECT_EQ(runs[1], runs[0]) << first_mismatch(runs[0], runs[1]);
  EXPECT_EQ(runs[2], runs[0]) << first_mismatch(runs[0], runs[2]);
}

// --- the command ---

class VerifyCli : public VerifyCorpus {};

TEST_F(VerifyCli, DirectoryGivesOneLinePerScriptAndATotal) {
  const auto r = run_cli({"verify", "examples"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto files = examples();
  for (const auto& f : files)
    EXPECT_TRUE(r.out.find("examples/" + f.filename().string()) != std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find(fmt::format("total: {} scripts, {} agree\n", files.size(),
                                     files.size())) != std::string::npos)
      << r.out;
  EXPECT_TRUE(r.out.find("examples/03-fork.rml                      14 ops  agree\n") !=
              std::string::npos)
      << r.out;
}

TEST_F(VerifyCli, AScriptErrorDoesNotHideTheOthers) {
  const auto bad = write_file("bad.rml", "spawn P\nP write 0\n");
  const auto r =
      run_cli({"verify", "examples/01-first-fault.rml", bad.string(), "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(r.out.find("examples/01-first-fault.rml") != std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("script error: " + bad.string() + ":2:") != std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("examples/03-fork.rml") != std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("total: 3 scripts, 2 agree, 1 script error\n") != std::string::npos)
      << r.out;
}

TEST_F(VerifyCli, GenerateJson) {
  const auto r = run_cli(
      {"verify", "--generate", "3", "--seed", "40", "--procs", "4", "--ops", "30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["scripts"].size(), 3u);
  EXPECT_EQ(doc["scripts"][0]["file"], "seed-40.rml");
  EXPECT_EQ(doc["scripts"][2]["seed"], 42);
  EXPECT_EQ(doc["scripts"][2]["generated_by"], "rmaplab gen --seed 42 --procs 4 --ops 30");
  EXPECT_EQ(doc["scripts"][1]["outcome"], "agree");
  EXPECT_EQ(doc["scripts"][1]["comparison"]["agree"], true);
  EXPECT_EQ(doc["total"]["agree"], 3);
  EXPECT_TRUE(doc.contains("kernel"));
}

TEST_F(VerifyCli, KernelOnlyOverSeveralScripts) {
  const auto r = run_cli(
      {"verify", "--kernel-only", "--json", "examples/03-fork.rml", "examples/09-exit.rml"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["scripts"].size(), 2u);
  // The language's document, per script, ids from 1 as in a lone run.
  const auto& fork = doc["scripts"][0]["result"];
  EXPECT_EQ(fork["ops"].size(), 14u);
  EXPECT_EQ(fork["live"]["anon_vma"], 0);
  EXPECT_EQ(fork["ops"][4]["events"][0]["id"], 1);
  EXPECT_EQ(doc["total"]["ran"], 2);
}

TEST(VerifyCliUsage, EmptyDirectoryAndNoScriptAreUsageErrors) {
  std::filesystem::create_directories(scratch() / "empty");
  const auto r = run_cli({"verify", (scratch() / "empty").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.find("no .rml scripts in") != std::string::npos) << r.err;
  const auto none = run_cli({"verify"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(none.err.find("no script given") != std::string::npos) << none.err;
}

}  // namespace
}  // namespace rmaplab::test
