// End-to-end tests of the rmaplab command: exit codes, what goes to stdout
// and stderr, and the shape of each subcommand's output.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli_util.h"

namespace rmaplab::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

constexpr const char* kFork = "spawn P\nP mmap 0 4\nP write 0 2\nP fork C\n";

// --- exit codes and streams ---

TEST(Cli, RunSucceeds) {
  const auto r = run_cli({"run", "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(contains(r.out, "P fork C")) << r.out;
  EXPECT_TRUE(contains(r.out, "14 operations")) << r.out;
}

TEST(Cli, RunTableHasOneRowPerOperation) {
  const auto r = run_cli({"run", "-"}, kFork);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_TRUE(lines[0].starts_with("line  operation")) << lines[0];
  EXPECT_TRUE(std::regex_match(lines[4], std::regex(R"(   4  P fork C +ok +\+1/-0 +\+2/-0 +2 +3)")))
      << lines[4];
  EXPECT_EQ(lines[5], "");
}

TEST(Cli, StdinIsDash) {
  const auto r = run_cli({"run", "--json", "-"}, kFork);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["ops"].size(), 4u);
  EXPECT_EQ(doc["ops"][3]["line"], 4);
  EXPECT_EQ(doc["ops"][3]["anon_vma_alloc"], 1);
  EXPECT_EQ(doc["ops"][3]["avc_alloc"], 2);
  EXPECT_EQ(doc["live"], nlohmann::json::parse(R"({"anon_vma": 2, "avc": 3})"));
}

TEST(Cli, ParseErrorIsFileLineColumnOnStderrOnly) {
  const auto path = write_file("bad.rml", "spawn P\nP mmap 0 4\nP wrte 0\nP write 0\n");
  const auto r = run_cli({"run", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "") << "nothing on stdout for a script error";
  EXPECT_TRUE(r.err.starts_with(path.string() + ":3:3: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, ParseErrorOnStdin) {
  const auto r = run_cli({"run", "-"}, "spawn P\nP mmap 0 0\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(^<stdin>:2:\d+: )"))) << r.err;
}

TEST(Cli, RunTimeAccessErrorEndsTheStreamWithTheError) {
  // Line 5 writes a read-only page: the real process would be killed. The
  // run streams, so the rows before it are out; the JSON document is still
  // whole, with the error in it.
  const auto path =
      write_file("segv.rml", "spawn P\nP mmap 0 4\nP write 0\nP mmap 8 4 r\nP write 9\nP exit\n");
  for (const char* json : {"", "--json"}) {
    std::vector<std::string> args = {"run", path.string()};
    if (*json) args.push_back(json);
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << json;
    EXPECT_TRUE(r.err.starts_with(path.string() + ":5:")) << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(^[^:]+:5:\d+: )"))) << r.err;
    if (*json) {
      const auto doc = nlohmann::json::parse(r.out);
      EXPECT_EQ(doc["ops"].size(), 4u);
      EXPECT_TRUE(doc["error"]["message"].get<std::string>().starts_with(path.string() + ":5:"));
      EXPECT_FALSE(doc.contains("live")) << "a run cut short has no final state";
    } else {
      EXPECT_NE(r.out.find("P mmap 8 4 r"), std::string::npos) << r.out;
      EXPECT_EQ(r.out.find("P write 9"), std::string::npos) << r.out;
      EXPECT_EQ(r.out.find("operations"), std::string::npos) << "no summary: " << r.out;
    }
  }
  // Reading a page that is not mapped at all.
  const auto r = run_cli({"run", "-"}, "spawn P\nP read 3\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out.find("P read 3"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.starts_with("<stdin>:2:")) << r.err;
}

TEST(Cli, MissingFile) {
  const auto r = run_cli({"run", "no/such/file.rml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "no/such/file.rml")) << r.err;
}

TEST(Cli, UnknownSubcommandSuggests) {
  const auto r = run_cli({"rnu", "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "unknown subcommand 'rnu'")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean 'run'?")) << r.err;
  EXPECT_TRUE(contains(r.err, "Usage: rmaplab")) << r.err;
  const auto far = run_cli({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_FALSE(contains(far.err, "did you mean")) << far.err;
}

TEST(Cli, UnknownOptionSuggests) {
  const auto r = run_cli({"run", "--jsn", "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "unknown option '--jsn'")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean '--json'?")) << r.err;
  EXPECT_TRUE(contains(r.err, "Usage: rmaplab run")) << r.err;
  EXPECT_EQ(run_cli({"--verbose"}).exit_code, 2);
  EXPECT_EQ(run_cli({"show", "examples/03-fork.rml", "--at", "x"}).exit_code, 2);
  EXPECT_EQ(run_cli({"run", "examples/03-fork.rml", "extra"}).exit_code, 2);
}

TEST(Cli, MissingArgumentsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"run"}, {"show"}, {"walk", "examples/03-fork.rml", "P"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args.size();
    EXPECT_TRUE(contains(r.err, "Usage: rmaplab")) << r.err;
  }
}

TEST(Cli, HelpAndVersion) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"}, {"help"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0);
    for (const char* sub : {"run", "show", "walk", "verify", "help"})
      EXPECT_TRUE(contains(r.out, std::string("  ") + sub + " ")) << sub << "\n" << r.out;
  }
  const auto run_help = run_cli({"help", "run"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_TRUE(contains(run_help.out, "--fail-alloc")) << run_help.out;
  EXPECT_EQ(run_cli({"run", "--help"}).out, run_help.out);
  const auto bad = run_cli({"help", "shwo"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "did you mean 'show'?")) << bad.err;
  const auto v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(std::regex_search(v.out, std::regex(R"(^rmaplab \d+\.\d+\.\d+)"))) << v.out;
}

// --- run --check ---

TEST(Cli, CheckPassesOnEveryExample) {
  const auto all = examples();
  ASSERT_FALSE(all.empty());
  for (const auto& path : all) {
    const auto r = run_cli({"run", "--check", path.string()});
    EXPECT_EQ(r.exit_code, 0) << path << "\n" << r.err;
    EXPECT_TRUE(contains(r.out, "invariants checked after every operation: ok")) << path << "\n"
                                                                                 << r.out;
  }
}

TEST(Cli, CheckWithInjectedAllocationFailures) {
  // Every allocation of a fork, failed in turn: the model unwinds, the
  // invariants hold, and the failure is a result, not an error.
  const std::string script = "spawn P\nP mmap 0 4\nP write 0\nP mmap 8 4\nP write 8\nP fork C\n";
  for (int k = 1; k <= 8; ++k) {
    const auto r =
        run_cli({"run", "--check", "--json", "--fail-alloc", std::to_string(k), "-"}, script);
    EXPECT_EQ(r.exit_code, 0) << "K=" << k << "\n" << r.err;
    if (r.exit_code != 0) continue;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_FALSE(doc.contains("violation"));
    bool failed = false;
    for (const auto& op : doc["ops"]) failed |= op["result"] != "ok";
    EXPECT_TRUE(failed) << "K=" << k << ": some operation must have failed";
  }
  EXPECT_EQ(run_cli({"run", "--fail-alloc", "0", "-"}, script).exit_code, 2);
}

TEST(Cli, JsonOfEveryExampleHasTheLanguageFields) {
  for (const auto& path : examples()) {
    const auto r = run_cli({"run", "--json", path.string()});
    ASSERT_EQ(r.exit_code, 0) << path << "\n" << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_TRUE(doc["ops"].is_array());
    for (const auto& op : doc["ops"])
      for (const char* field :
           {"line", "result", "anon_vma_alloc", "anon_vma_free", "avc_alloc", "avc_free"})
        EXPECT_TRUE(op.contains(field)) << path << " " << field;
    EXPECT_TRUE(doc["live"].contains("anon_vma"));
    EXPECT_TRUE(doc["live"].contains("avc"));
  }
}

// --- show ---

TEST(Cli, ShowPrintsDot) {
  const auto r = run_cli({"show", "examples/03-fork.rml", "--at", "25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("digraph rmaplab {")) << r.out;
  EXPECT_TRUE(r.out.ends_with("}\n"));
  EXPECT_TRUE(contains(r.out, "after line 25: C fork D")) << r.out;
  for (const char* part : {"label=\"P\"", "label=\"C\"", "label=\"D\"", "av1 [", "av2 [", "av3 [",
                           "av3 -> av2 [style=dashed", "av2 -> av1 [style=dashed"})
    EXPECT_TRUE(contains(r.out, part)) << part << "\n" << r.out;
  EXPECT_EQ(run_cli({"show", "examples/03-fork.rml", "--at", "25"}).out, r.out) << "deterministic";
  // The end of the script: everybody exited, nothing left.
  const auto end = run_cli({"show", "examples/03-fork.rml"});
  ASSERT_EQ(end.exit_code, 0);
  EXPECT_FALSE(contains(end.out, "cluster_")) << end.out;
  EXPECT_FALSE(contains(end.out, "anon_vma #")) << end.out;
}

TEST(Cli, ShowSvg) {
  const auto svg = scratch() / "state.svg";
  const auto r = run_cli({"show", "-", "--svg", svg.string()}, kFork);
  if (r.exit_code == 2 && contains(r.err, "graphviz's dot is not installed")) {
    GTEST_SKIP() << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(slurp(svg), "<svg")) << "no SVG in " << svg;
}

// --- walk ---

TEST(Cli, WalkOfAForkedCowPageListsParentAndChild) {
  const std::string script = std::string(kFork) + "C write 1\n";
  const auto shared = run_cli({"walk", "-", "--at", "4", "P", "0"}, script);
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  EXPECT_TRUE(contains(shared.out, "anon_vma #1")) << shared.out;
  EXPECT_TRUE(std::regex_search(shared.out, std::regex(R"(\n  P +\[0,4\) +0  maps\n)")))
      << shared.out;
  EXPECT_TRUE(std::regex_search(shared.out, std::regex(R"(\n  C +\[0,4\) +0  maps\n)")))
      << shared.out;
  // After C's write, page 1 is C's copy: the walk from P's folio still
  // visits C's VMA, which maps another folio there.
  const auto copied = run_cli({"walk", "-", "P", "1"}, script);
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_TRUE(std::regex_search(copied.out, std::regex(R"(\n  P +\[0,4\) +1  maps\n)")))
      << copied.out;
  EXPECT_TRUE(
      std::regex_search(copied.out, std::regex(R"(\n  C +\[0,4\) +1  does not map: folio #\d+)")))
      << copied.out;
  const auto json = run_cli({"walk", "--json", "-", "P", "1"}, script);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["candidates"].size(), 2u);
}

TEST(Cli, WalkRefusesWhatItCannotWalk) {
  const std::string script = "spawn P\nP mmap 0 4\nP read 0\nP mmap 8 4 rw shared\nP write 8\n";
  struct Case {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{"walk", "-", "P", "0"}, "zero page"},
      {{"walk", "-", "P", "1"}, "maps nothing at page 1"},
      {{"walk", "-", "P", "5"}, "no VMA covers it"},
      {{"walk", "-", "P", "8"}, "shared memory"},
      {{"walk", "-", "Q", "0"}, "no process named 'Q'"},
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args, script);
    EXPECT_EQ(r.exit_code, 2) << c.says;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, c.says)) << r.err;
  }
}

// --- verify ---

TEST(Cli, VerifyKernelOnly) {
  const auto r = run_cli({"verify", "--kernel-only", "--json", "-"}, kFork);
  if (r.exit_code == 3) GTEST_SKIP() << "the kernel cannot be observed here: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["ops"].size(), 4u);
  EXPECT_TRUE(doc.contains("kernel"));
  EXPECT_EQ(doc["ops"][3]["line"], 4);
}

TEST(Cli, VerifyComparesModelAndKernel) {
  const auto r = run_cli({"verify", "examples/03-fork.rml"});
  if (r.exit_code == 3) GTEST_SKIP() << "the kernel cannot be observed here: " << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "agree on all 14 operations")) << r.out;
  const auto json = run_cli({"verify", "--json", "-"}, kFork);
  ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["agree"], true);
  EXPECT_EQ(doc["ops"].size(), 4u);
}

TEST(Cli, VerifyRejectsScriptErrorsBeforeTheKernel) {
  const auto r = run_cli({"verify", "--kernel-only", "-"}, "spawn P\nP write 0\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with("<stdin>:2:")) << r.err;
}

// --- bad input: one clear sentence ---

// The first line of stderr.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST(Cli, NumbersOutOfRangeAreOneSentenceNamingOptionValueAndRange) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"gen", "--seed", "-1"},
       "rmaplab gen: --seed must be a whole number from 0 to 18446744073709551615, not '-1'"},
      {{"gen", "--seed", "18446744073709551616"},
       "rmaplab gen: --seed must be a whole number from 0 to 18446744073709551615, not "
       "'18446744073709551616'"},
      {{"gen", "--seed", "0x10"},
       "rmaplab gen: --seed must be a whole number from 0 to 18446744073709551615, not '0x10'"},
      {{"gen", "--ops", "1000001"},
       "rmaplab gen: --ops must be a whole number from 1 to 1000000, not '1000001'"},
      {{"gen", "--procs", "65"},
       "rmaplab gen: --procs must be a whole number from 1 to 64, not '65'"},
      {{"run", "--fail-alloc", "0", "-"},
       "rmaplab run: --fail-alloc must be a whole number from 1 to 18446744073709551615, not '0'"},
      {{"fuzz", "--seconds", "-1"},
       "rmaplab fuzz: --seconds must be a number from 0 to 31536000, not '-1'"},
      {{"fuzz", "--jobs", "0"},
       "rmaplab fuzz: --jobs must be a whole number from 1 to 256, not '0'"},
      {{"show", "-", "--at", "0"},
       "rmaplab show: --at must be a whole number from 1 to 2147483647, not '0'"},
      {{"walk", "-", "P", "x"},
       "rmaplab walk: page must be a whole number from 0 to 4294967295, not 'x'"},
      {{"diff", "-", "--profile", "linux-6.18", "--profile", "rfc-v2", "--generated", "0"},
       "rmaplab diff: --generated must be a whole number from 1 to 1000000, not '0'"},
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args, kFork);
    EXPECT_EQ(r.exit_code, 2) << c.says;
    EXPECT_EQ(r.out, "") << c.says;
    EXPECT_EQ(first_line(r.err), c.says);
  }
  // The largest values are accepted: gen takes as many operations as verify.
  EXPECT_EQ(run_cli({"gen", "--seed", "18446744073709551615", "--ops", "5"}).exit_code, 0);
  const auto big = run_cli({"gen", "--seed", "1", "--ops", "1000000"});
  EXPECT_EQ(big.exit_code, 0) << big.err;
  EXPECT_EQ(std::count(big.out.begin(), big.out.end(), '\n'), 1000001);
}

// Runs `command` with sh in the source directory, $RMAPLAB naming the
// binary: the exit code and stderr (stdout is where the command sends it).
CliResult run_shell(const std::string& command) {
  static int serial = 0;
  const auto err = scratch() / ("shell-err-" + std::to_string(serial++));
  ::setenv("RMAPLAB", rmaplab_bin().c_str(), 1);
  const std::string full = "cd " + source_dir() + " && " + command + " 2>" + err.string();
  const int status = std::system(full.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err);
  std::filesystem::remove(err);
  return r;
}

TEST(Cli, OutputThatCannotBeWrittenIsAnError) {
  const auto fork = write_file("fork-full.rml", kFork);
  for (const std::string& cmd : std::vector<std::string>{
           "gen --seed 1",
           "run examples/03-fork.rml",
           "run --json examples/03-fork.rml",
           "show examples/03-fork.rml",
           "walk " + fork.string() + " P 0",
           "diff examples/03-fork.rml --profile linux-6.18 --profile rfc-v2",
           "profiles",
           "help",
           "help gen",
           "--help",
           "fuzz --seconds 0 --scripts 3 --seed 1",
       }) {
    const auto r = run_shell("\"$RMAPLAB\" " + cmd + " >/dev/full");
    EXPECT_EQ(r.exit_code, 4) << cmd << "\n" << r.err;  // ExitCode::output_failed
    EXPECT_TRUE(contains(r.err, "cannot write standard output")) << cmd << "\n" << r.err;
  }
  EXPECT_EQ(run_shell("\"$RMAPLAB\" gen --seed 1 >/dev/full").err,
            "rmaplab gen: cannot write standard output (No space left on device); the output is "
            "incomplete\n");
  // Where the output can be written, the same commands succeed.
  EXPECT_EQ(run_shell("\"$RMAPLAB\" gen --seed 1 >/dev/null").exit_code, 0);
}

TEST(Cli, JsonErrorsAreADocumentOnStdoutAndASentenceOnStderr) {
  const auto bad = write_file("bad-json.rml", "spawn P\nP mmap 0 4\nP wrte 0\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "--json", bad.string()},
        {"run", "--json", "--fail-each", bad.string()},
        {"diff", "--json", bad.string(), "--profile", "linux-6.18", "--profile", "rfc-v2"},
        {"walk", "--json", bad.string(), "P", "0"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    ASSERT_TRUE(nlohmann::json::accept(r.out)) << args[0] << ": " << r.out;
    const auto e = nlohmann::json::parse(r.out)["error"];
    EXPECT_EQ(e["file"], bad.string()) << args[0];
    EXPECT_EQ(e["line"], 3) << args[0];
    EXPECT_EQ(e["column"], 3) << args[0];
    EXPECT_EQ(e["message"],
              bad.string() + ":3:3: unknown operation 'wrte' (did you mean 'write'?)");
    EXPECT_EQ(r.err, e["message"].get<std::string>() + "\n") << args[0];
  }
  // An error with no place in a script: null location.
  const auto walk = run_cli({"walk", "--json", "-", "Q", "0"}, kFork);
  EXPECT_EQ(walk.exit_code, 2);
  const auto e = nlohmann::json::parse(walk.out)["error"];
  EXPECT_TRUE(contains(e["message"], "no process named 'Q'")) << walk.out;
  const auto diff = run_cli({"diff", "--json", "-", "--profile", "linux-6.18"}, kFork);
  EXPECT_EQ(diff.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(diff.out)["error"]["message"],
            "rmaplab diff: give two profiles: --profile A --profile B");
}

TEST(Cli, ShowSvgDashIsStandardOutput) {
  const auto r = run_cli({"show", "-", "--svg", "-"}, kFork);
  if (r.exit_code == 2 && contains(r.err, "graphviz's dot is not installed")) {
    GTEST_SKIP() << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "<svg")) << r.out;
  EXPECT_TRUE(contains(r.out, "</svg>")) << r.out;
  EXPECT_FALSE(std::filesystem::exists(source_dir() + "/-")) << "no file named '-'";
}

TEST(Cli, UserSuppliedNamesArePrintedWithoutTerminalEscapes) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "no/\x1b[2Jsuch.rml"},
        {"run", "--json\x1b[2J", "examples/03-fork.rml"},
        {"\x1b[2Jrun"},
        {"run", "examples/03-fork.rml", "--profile", "\x1b[2J"},
        {"help", "\x1b[2J"},
        {"walk", "-", "\x1b[2J", "0"},
        {"gen", "--seed", "\x1b[2J"}}) {
    const auto r = run_cli(args, kFork);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_TRUE(contains(r.err, "\\x1b[2J")) << r.err;
  }
  // A script whose name holds an escape: the parse error shows it escaped.
  const auto path = write_file("\x1b[31mred.rml", "spawn P\nP wrte 0\n");
  const auto r = run_cli({"run", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with((scratch() / "\\x1b[31mred.rml").string() + ":2:3: ")) << r.err;
}

TEST(Cli, DiffTakesDirectories) {
  const auto dir = scratch() / "diff-dir";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.rml") << kFork;
  std::ofstream(dir / "a.rml") << "spawn P\nP mmap 0 2\nP write 0\n";
  std::ofstream(dir / "notes.txt") << "not a script";
  const auto r =
      run_cli({"diff", dir.string(), "--profile", "linux-6.18", "--profile", "no-reuse"});
  EXPECT_NE(r.exit_code, 2) << r.err;
  const auto a = r.out.find((dir / "a.rml").string()), b = r.out.find((dir / "b.rml").string());
  ASSERT_NE(a, std::string::npos) << r.out;
  ASSERT_NE(b, std::string::npos) << r.out;
  EXPECT_LT(a, b) << "sorted by name";
  EXPECT_FALSE(contains(r.out, "notes.txt")) << r.out;
  EXPECT_TRUE(contains(r.out, "over 2 scripts")) << r.out;
  // The same as naming the files.
  EXPECT_EQ(run_cli({"diff", (dir / "a.rml").string(), (dir / "b.rml").string(), "--profile",
                     "linux-6.18", "--profile", "no-reuse"})
                .out,
            r.out);
  const auto empty = scratch() / "diff-empty";
  std::filesystem::create_directories(empty);
  const auto none =
      run_cli({"diff", empty.string(), "--profile", "linux-6.18", "--profile", "no-reuse"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, "rmaplab diff: no .rml scripts in " + empty.string() + "\n");
}

TEST(Cli, LineLimitIsStatedInTheErrorAndInHelp) {
  const auto r = run_cli({"run", "-"}, "spawn P\nspawn Q" + std::string(5000, ' ') + "\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "<stdin>:2:1: line is 5007 bytes; the limit is 4096\n");
  EXPECT_TRUE(contains(run_cli({"help"}).out, "a line may be at most 4096 bytes"));
}

TEST(Demo, ScriptIsNamedFromTheCallersDirectory) {
  // scripts/demo in a copy of the tree whose install, build and rmaplab are
  // stand-ins: what rmaplab is given is all that is checked.
  namespace fs = std::filesystem;
  const fs::path tree = scratch() / "demo-tree", bin = scratch() / "demo-bin",
                 caller = scratch() / "demo-caller";
  fs::create_directories(tree / "scripts");
  fs::create_directories(tree / "build/release/tools");
  fs::create_directories(bin);
  fs::create_directories(caller / "sub");
  fs::copy_file(source_dir() + "/scripts/demo", tree / "scripts/demo",
                fs::copy_options::overwrite_existing);
  auto stub = [](const fs::path& p, const std::string& body) {
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(p, fs::perms::owner_all);
  };
  stub(tree / "scripts/install-deps", "exit 0");
  stub(bin / "cmake", "exit 0");
  stub(tree / "build/release/tools/rmaplab", "echo \"$@\"");
  auto demo = [&](const std::string& arg) {
    const auto out = scratch() / "demo-out";
    const std::string cmd = "cd " + (caller / "sub").string() + " && PATH=" + bin.string() +
                            ":$PATH " + (tree / "scripts/demo").string() + " " + arg + " >" +
                            out.string() + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(out);
    return slurp(out);
  };
  EXPECT_EQ(demo("mine.rml"), "run --check " + (caller / "sub/mine.rml").string() + "\n");
  EXPECT_EQ(demo("../up.rml"), "run --check " + (caller / "sub/../up.rml").string() + "\n");
  EXPECT_EQ(demo("/abs/x.rml"), "run --check /abs/x.rml\n");
  EXPECT_EQ(demo(""), "run --check examples/04-deep-fork-chain-reuse.rml\n");
}

}  // namespace
}  // namespace rmaplab::test
