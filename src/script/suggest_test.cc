// edit_distance(): the one distance behind every "did you mean".
#include "rmaplab/suggest.h"

#include <gtest/gtest.h>

namespace rmaplab {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("", "fork"), 4u);
  EXPECT_EQ(edit_distance("fork", ""), 4u);
  EXPECT_EQ(edit_distance("mmap", "mmap"), 0u);
  EXPECT_EQ(edit_distance("wrte", "write"), 1u);    // insertion
  EXPECT_EQ(edit_distance("writte", "write"), 1u);  // deletion
  EXPECT_EQ(edit_distance("fark", "fork"), 1u);     // substitution
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(EditDistance, AnAdjacentSwapIsOneEdit) {
  EXPECT_EQ(edit_distance("rnu", "run"), 1u);
  EXPECT_EQ(edit_distance("mpaam", "mmap"), 3u);  // not adjacent swaps only
  EXPECT_EQ(edit_distance("shwo", "show"), 1u);
}

TEST(EditDistance, IgnoresTheCaseOfAsciiLetters) {
  EXPECT_EQ(edit_distance("FORK", "fork"), 0u);
  EXPECT_EQ(edit_distance("--JSON", "--json"), 0u);
  EXPECT_EQ(edit_distance("Mmpa", "mmap"), 1u);
}

TEST(EditDistance, IsSymmetric) {
  for (auto [a, b] : {std::pair{"degre", "degree"}, {"rfc-v3", "rfc-v2"}, {"abc", "bca"}})
    EXPECT_EQ(edit_distance(a, b), edit_distance(b, a)) << a << " " << b;
}

}  // namespace
}  // namespace rmaplab
