// Test helper for the reporter tests: a script from text, or the test fails.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "rmaplab/script.h"

namespace rmaplab::report {

inline Script parse_or_die(std::string_view text) {
  auto s = parse_script(text, "test.rml");
  if (!s) {
    ADD_FAILURE() << s.error().message;
    return {};
  }
  return std::move(s).value();
}

}  // namespace rmaplab::report
