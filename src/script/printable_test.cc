// printable(): what the user typed, shown back without terminal escapes.
#include "rmaplab/printable.h"

#include <gtest/gtest.h>

namespace rmaplab {
namespace {

TEST(Printable, KeepsOrdinaryText) {
  EXPECT_EQ(printable("examples/03-fork.rml"), "examples/03-fork.rml");
  EXPECT_EQ(printable("Prozeß-π.rml"), "Prozeß-π.rml");  // other scripts are text
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("\x1b[2Jx.rml"), "\\x1b[2Jx.rml");
  EXPECT_EQ(printable("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(printable(std::string_view("n\0ul", 4)), "n\\x00ul");
}

TEST(Printable, EscapesC1ControlsAndBrokenUtf8) {
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");                    // U+009B, the 8-bit CSI
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is text
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");  // cut short
}

}  // namespace
}  // namespace rmaplab
