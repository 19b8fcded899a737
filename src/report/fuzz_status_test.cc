// rmaplab fuzz's status block: it fits the terminal and redraws in place.
#include <gtest/gtest.h>

#include "rmaplab/fuzz.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

// Counts as large as an hour of fuzzing on many cores gives.
FuzzStats busy() {
  FuzzStats s;
  s.seconds = 3599;
  s.scripts = 123'456'789;
  s.operations = 9'876'543'210;
  for (auto& v : s.verbs) v = 987'654'321;
  for (int p = 0; p < kCoverPaths; ++p) s.paths[p] = p % 3 ? 55'555 : 0;
  return s;
}

TEST(FuzzStatus, EveryLineFitsTheWidth) {
  for (std::size_t width : {40u, 60u, 80u, 132u}) {
    const auto lines = fuzz_status_lines(busy(), width);
    for (const std::string& l : lines) EXPECT_LE(l.size(), width) << width << ": " << l;
  }
}

TEST(FuzzStatus, NothingIsLostByWrapping) {
  std::string all;
  for (const std::string& l : fuzz_status_lines(busy(), 60)) all += l + "\n";
  for (int v = 0; v < kVerbs; ++v)
    EXPECT_NE(all.find(std::string(to_string(static_cast<Verb>(v))) + " 987.7M"), std::string::npos)
        << all;
  for (int p = 0; p < kCoverPaths; ++p)
    EXPECT_NE(all.find(std::string(cover_path_name(p))), std::string::npos) << all;
  EXPECT_NE(all.find("NEVER"), std::string::npos) << all;
  EXPECT_TRUE(fuzz_status_lines(busy(), 60)[0].starts_with("3599 s: 123456789 scripts ("));
}

TEST(FuzzStatus, NarrowerTerminalsGetMoreLines) {
  EXPECT_GT(fuzz_status_lines(busy(), 60).size(), fuzz_status_lines(busy(), 132).size());
}

TEST(StatusBlock, RedrawMovesUpExactlyTheLinesItDrew) {
  StatusBlock block;
  EXPECT_EQ(block.clear(), "") << "nothing drawn yet";
  EXPECT_EQ(block.redraw({"a", "b", "c"}), "a\nb\nc\n");
  EXPECT_EQ(block.drawn(), 3);
  EXPECT_EQ(block.redraw({"d", "e"}), "\x1b[3A\r\x1b[Jd\ne\n");
  EXPECT_EQ(block.redraw({"f", "g", "h", "i", "j"}), "\x1b[2A\r\x1b[Jf\ng\nh\ni\nj\n");
  EXPECT_EQ(block.clear(), "\x1b[5A\r\x1b[J");
  EXPECT_EQ(block.drawn(), 0);
}

}  // namespace
}  // namespace rmaplab::report
