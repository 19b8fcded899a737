// The run layer at scale, through the command: memory follows the live
// state, output is written as it is made, progress only on a terminal, and
// a guard inside the model ends the run with its rule in the release build.
// Each case is one the issue found broken; none is timed (bench/scale
// measures speed).
#include <gtest/gtest.h>

#include <string>

#include "cli_util.h"

namespace rmaplab::test {
namespace {

// Runs `command` with sh in the source directory ($RMAPLAB: the binary);
// the exit code, and stdout and stderr in files.
CliResult shell(const std::string& command) {
  static int serial = 0;
  const auto out = scratch() / ("scale-out-" + std::to_string(serial));
  const auto err = scratch() / ("scale-err-" + std::to_string(serial++));
  ::setenv("RMAPLAB", rmaplab_bin().c_str(), 1);
  const std::string full =
      "cd " + source_dir() + " && (" + command + ") >" + out.string() + " 2>" + err.string();
  const int status = std::system(full.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// An address-space limit cannot be set under AddressSanitizer, which
// reserves terabytes of shadow memory.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST(RunScale, AMillionWrittenPagesThenReadsStayUnderAGigabyte) {
  if (kSanitized) GTEST_SKIP() << "an address-space limit does not work under ASan";
  // Before: every page of every process after every operation, 300 times
  // over: bad_alloc under a 3 GB limit.
  std::string script = "spawn P\nP mmap 0 1000000\nP write 0 1000000\n";
  for (int i = 0; i < 300; ++i) script += "P read " + std::to_string(i) + "\n";
  const auto path = write_file("million.rml", script);
  const auto r =
      shell("ulimit -v 1000000; \"$RMAPLAB\" run --json " + path.string() + " | tail -c 200");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"max_walk\""), std::string::npos) << "the document is whole: " << r.out;
}

TEST(RunScale, ALongNoReuseLineageStreamsItsJsonInBoundedMemory) {
  if (kSanitized) GTEST_SKIP() << "an address-space limit does not work under ASan";
  // 600 generations without reuse: about 50 MB of JSON (every fork copies
  // the whole chain), written as it goes under a 200 MB address-space limit.
  const auto r = shell(
      "ulimit -v 200000; scripts/fork-forever 600 | \"$RMAPLAB\" run --json --profile no-reuse - "
      "| wc -c");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(std::stoll(r.out), 40'000'000) << "the whole document was written";
}

TEST(RunScale, ProgressOnlyOnATerminal) {
  // 300,000 operations: long enough (a second or so) for a progress line.
  std::string script = "spawn P\nP mmap 0 64\n";
  for (int i = 0; i < 300000; ++i) script += "P write " + std::to_string(i % 64) + "\n";
  const auto path = write_file("progress.rml", script);
  const auto piped = shell("\"$RMAPLAB\" run --check " + path.string() + " >/dev/null");
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err, "") << "nothing on a pipe";
  // script(1) gives the command a terminal; -e passes its exit code on.
  const auto tty =
      shell("script -qec '\"$RMAPLAB\" run --check " + path.string() + " >/dev/null' /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.out;
  EXPECT_NE(tty.out.find("run: "), std::string::npos) << "a progress line: " << tty.out;
  EXPECT_NE(tty.out.find("of 300,002 operations"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[K"), std::string::npos) << "redrawn in place, then erased";
}

TEST(RunScale, FullCheckEveryNIsRangeChecked) {
  const auto r = run_cli({"run", "--check", "--full-check-every", "0", "examples/03-fork.rml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--full-check-every"), std::string::npos) << r.err;
  const auto ok = run_cli({"run", "--check", "--full-check-every", "3", "examples/03-fork.rml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("invariants checked after every operation: ok"), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::test
