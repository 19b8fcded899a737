// Test support: recorded samples under src/kernel/testdata/.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace rmaplab::kernel::testing {

inline std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(RMAPLAB_SOURCE_DIR) + "/src/kernel/testdata/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace rmaplab::kernel::testing
