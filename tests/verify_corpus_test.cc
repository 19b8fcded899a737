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
//                                  JSON and exit codes; descriptors and
//                                  resource limits of the environment
//   VerifyCliUsage.*               bad options and errors, in text and JSON
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

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "rmaplab/gen.h"
#include "rmaplab/kernel.h"
#include "rmaplab/kernel_objects.h"
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

// Object depth (verify --objects): the examples and the 200 generated
// scripts agree with the kernel's own objects after every operation, and
// the root rwsem acquisitions measured with breakpoints agree with the
// model's. Skipped with the reason where the BPF reader cannot run.
TEST_F(VerifyCorpus, ExamplesAndGeneratedAgreeAtObjectDepth) {
  kernel::ReadError why;
  if (!kernel::object_reader_available(&why)) GTEST_SKIP() << why.message;
  std::vector<Script> scripts;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/examples"))
    if (e.path().extension() == ".rml") scripts.push_back(load_or_die(e.path().string()));
  const std::size_t examples = scripts.size();
  for (std::uint64_t seed = 1; seed <= 200; ++seed) scripts.push_back(generated(seed));
  VerifyOptions options;
  options.objects = true;
  options.keep_ops = false;
  std::size_t agree = 0, measured = 0, example_measured = 0, by_kind = 0;
  verify_scripts(scripts, options, [&](std::size_t i, const Verification& v) {
    if (v.outcome != Verification::Outcome::agree) {
      ADD_FAILURE() << explain(scripts[i].file, v);
      return;
    }
    ++agree;
    EXPECT_EQ(v.comparison.depth, "objects") << scripts[i].file;
    measured += v.comparison.root_locks_measured;
    by_kind += v.comparison.root_locks_by_kind;
    if (i < examples) example_measured += v.comparison.root_locks_measured;
  });
  EXPECT_EQ(agree, scripts.size());
  if (std::string no_locks; kernel::root_lock_counts_available(&no_locks)) {
    EXPECT_GT(example_measured, 0u);
    EXPECT_EQ(by_kind, measured);  // no contended count in a helper's operation
  } else {
    EXPECT_EQ(measured, 0u) << "nothing can be measured here: " << no_locks;
    std::cout << "root lock counts not measured: " << no_locks << "\n";
  }
  std::cout << fmt::format(
      "{} of {} scripts agree at object depth; root lock counts measured on {} operations ({} "
      "write by write and read by read)\n",
      agree, scripts.size(), measured, by_kind);
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
      events.push_back(fmt::format("{}{}:{}#{}", e.type == EventType::alloc ? '+' : '-',
                                   e.kind == ObjectKind::anon_vma ? 'a' : 'c', e.call_site, e.id));
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
  VerifyOptions options;
  options.keep_kernel_ops = true;
  const std::vector<Verification> joined = verify_scripts(scripts, options);
  ASSERT_EQ(joined.size(), scripts.size());
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const Verification alone = verify_script(scripts[i], options);
    ASSERT_EQ(alone.kernel.ops.size(), scripts[i].ops.size());
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

// A lineage that forks `n` times, two processes alive at a time: what
// scripts/fork-forever writes.
std::string fork_forever(int n) {
  std::string text = "spawn G0\nG0 mmap 0 8\nG0 write 0 8\n";
  for (int i = 0; i < n; ++i)
    text += fmt::format("G{} fork G{}\nG{} exit\nG{} write 0\n", i, i + 1, i, i + 1);
  return text;
}

// `command` (a shell line; $RMAPLAB is the binary) in the source tree.
CliResult run_shell(const std::string& command) {
  static int serial = 0;
  const auto out = scratch() / fmt::format("sh-out-{}", serial);
  const auto err = scratch() / fmt::format("sh-err-{}", serial++);
  const std::string line =
      fmt::format("cd '{}' && RMAPLAB='{}' bash -c '{}' >'{}' 2>'{}'", source_dir(), rmaplab_bin(),
                  command, out.string(), err.string());
  CliResult r;
  const int status = std::system(line.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

bool has_cap_sys_resource() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("CapEff:"))
      return (std::stoull(line.substr(7), nullptr, 16) >> 24) & 1;  // CAP_SYS_RESOURCE
  return false;
}

// Descriptors follow the live processes: 5000 forks with two alive at a time
// need a handful, even under a limit far below one per fork.
TEST_F(VerifyCli, DescriptorsFollowTheLiveProcesses) {
  const auto script = write_file("forever.rml", fork_forever(5000));
  const auto r = run_shell("ulimit -n 128; \"$RMAPLAB\" verify " + script.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("agree on all 15003 operations"), std::string::npos) << r.out << r.err;
}

// More processes alive at once than the descriptor limit allows is said up
// front, naming the limit, before anything runs.
TEST_F(VerifyCli, TooManyLiveProcessesForTheDescriptorLimit) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += fmt::format("spawn P{}\n", i);
  const auto script = write_file("wide.rml", text);
  const auto r = run_shell("ulimit -n 128; \"$RMAPLAB\" verify " + script.string());
  if (has_cap_sys_resource()) GTEST_SKIP() << "root here may raise RLIMIT_NOFILE's hard limit";
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("the script has 100 processes alive at once"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RLIMIT_NOFILE"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// A soft RLIMIT_AS (prlimit) is lifted for the helpers: the 400 MiB mapping
// the model allows succeeds on the kernel too. A hard one (ulimit -v) can be
// lifted only with CAP_SYS_RESOURCE; without it verify refuses up front.
TEST_F(VerifyCli, AddressSpaceLimitIsLiftedOrRefused) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "an address-space limit does not work under ASan (its shadow memory)";
#endif
  const auto script = write_file("big.rml", "spawn P\nP mmap 0 102400\nP write 0\n");
  const auto soft =
      run_shell("prlimit --as=268435456:unlimited \"$RMAPLAB\" verify " + script.string());
  EXPECT_EQ(soft.exit_code, 0) << soft.out << soft.err;
  EXPECT_NE(soft.out.find("agree on all 3 operations"), std::string::npos) << soft.out;

  const auto hard = run_shell("ulimit -v 262144; \"$RMAPLAB\" verify " + script.string());
  if (has_cap_sys_resource()) {
    EXPECT_EQ(hard.exit_code, 0) << hard.out << hard.err;
  } else {
    EXPECT_EQ(hard.exit_code, 3) << hard.out << hard.err;
    EXPECT_EQ(hard.err,
              "rmaplab verify: the kernel cannot be observed here: RLIMIT_AS (ulimit -v) is "
              "268435456 (hard limit 268435456) and cannot be lifted without CAP_SYS_RESOURCE: "
              "mappings the model allows would fail with ENOMEM, for this environment's reasons\n");
  }
}

TEST_F(VerifyCli, ProgressIsNotShownOnAPipe) {
  const auto r = run_cli({"verify", "--generate", "2", "--ops", "200"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(VerifyCliUsage, NumericOptionsAreRangeCheckedInOneSentence) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--generate", "-1"},
       "rmaplab verify: --generate must be a whole number from 1 to 1000000, not '-1'\n"},
      {{"--generate", "1000000000000"},
       "rmaplab verify: --generate must be a whole number from 1 to 1000000, not "
       "'1000000000000'\n"},
      {{"--generate", "18446744073709551615"},
       "rmaplab verify: --generate must be a whole number from 1 to 1000000, not "
       "'18446744073709551615'\n"},
      {{"--generate", "1", "--procs", "65"},
       "rmaplab verify: --procs must be a whole number from 1 to 64, not '65'\n"},
      {{"--generate", "1", "--ops", "1000001"},
       "rmaplab verify: --ops must be a whole number from 1 to 1000000, not '1000001'\n"},
      {{"--generate", "1", "--seed", "x"},
       "rmaplab verify: --seed must be a whole number from 0 to 18446744073709551615, not "
       "'x'\n"},
      {{"--generate", "2", "--seed", "18446744073709551615"},
       "rmaplab verify: --seed 18446744073709551615 with --generate 2 would need seeds past "
       "18446744073709551615, the largest\n"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {"verify"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_cli(argv);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_EQ(r.err, message);
    EXPECT_EQ(r.out, "");
  }
}

// With --json an error is a document on stdout (and the sentence on
// stderr), for one script as for several.
TEST(VerifyCliUsage, JsonErrorsAreDocuments) {
  const auto bad = write_file("bad.rml", "spawn P\nP write 0\n");
  const auto one = run_cli({"verify", "--json", bad.string()});
  EXPECT_EQ(one.exit_code, 2);
  const auto doc = nlohmann::json::parse(one.out);
  EXPECT_EQ(doc["error"]["file"], bad.string());
  EXPECT_EQ(doc["error"]["line"], 2);
  EXPECT_EQ(doc["error"]["column"], 9);
  EXPECT_EQ(doc["error"]["message"].get<std::string>() + "\n", one.err);

  const auto usage = run_cli({"verify", "--json", "--generate", "-1"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_TRUE(nlohmann::json::parse(usage.out)["error"]["file"].is_null()) << usage.out;
  EXPECT_NE(usage.err.find("--generate must be"), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::test
