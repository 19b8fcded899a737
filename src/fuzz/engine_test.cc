// The engine fuzzer's decoding: any bytes give a valid script, the examples
// survive encoding, and injected failures are followed to a clean exit.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "fuzz/engine.h"
#include "rmaplab/fuzz.h"
#include "rmaplab/run.h"

namespace rmaplab {
namespace {

TEST(Engine, RandomBytesDecodeToValidScriptsThatKeepTheInvariants) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> bytes(1 + rng() % 400);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    const EngineRun run = run_engine_bytes(bytes.data(), bytes.size());
    EXPECT_FALSE(run.problem) << *run.problem;
    // The decoded script is a script the language accepts; without an
    // injected failure it also runs without script error.
    auto again = parse_script(script_text(run.script), "engine.rml");
    ASSERT_TRUE(again.ok()) << again.error().message;
    if (!run.fail_alloc) {
      RunOptions ro;
      ro.check = true;
      ro.layouts = Layouts::none;
      auto r = run_script(*again, ro);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_FALSE(r->violation);
    }
  }
}

TEST(Engine, ExamplesSurviveEncoding) {
  int exact = 0, total = 0;
  for (const auto& e : std::filesystem::directory_iterator(RMAPLAB_SOURCE_DIR "/examples")) {
    if (e.path().extension() != ".rml") continue;
    auto s = load_script(e.path().string());
    ASSERT_TRUE(s.ok());
    const auto bytes = encode_engine_bytes(*s);
    const EngineRun run = run_engine_bytes(bytes.data(), bytes.size());
    EXPECT_FALSE(run.problem) << e.path() << ": " << *run.problem;
    ++total;
    // Scripts within the byte layout's ranges come back operation for operation.
    std::string a, b;
    for (const Op& op : s->ops) a += std::string(to_string(op.verb)) + " ";
    for (const Op& op : run.script.ops) b += std::string(to_string(op.verb)) + " ";
    if (a == b) ++exact;
  }
  EXPECT_GT(total, 10);
  EXPECT_GE(exact, total / 2) << "most examples keep every operation";
}

TEST(Engine, FirstByteInjectsAFailure) {
  // spawn, mmap 0 8 rw, write 0: the second allocation (the root) fails.
  const std::vector<std::uint8_t> bytes = {2, 0, 0, 0, 0, 0, 3, 0, 0, 7, 3, 10, 0, 0, 0, 0};
  const EngineRun run = run_engine_bytes(bytes.data(), bytes.size());
  EXPECT_EQ(run.fail_alloc, 2u);
  EXPECT_EQ(script_text(run.script), "spawn P0\nP0 mmap 0 8\nP0 write 0\n");
  EXPECT_FALSE(run.problem) << *run.problem;
}

}  // namespace
}  // namespace rmaplab
