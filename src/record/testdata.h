// Test support: traces recorded on Linux 6.18.44 under src/record/testdata/.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace rmaplab::record::testing {

inline std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(RMAPLAB_SOURCE_DIR) + "/src/record/testdata/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The traces, with the recorder's pid (whose events are skipped) and the
// launched command's pid. Each was written by
// `rmaplab-trace --raw-trace FILE -- CMD` (doc/record.md).
struct TraceSample {
  const char* file;
  int recorder, root;
};
// rmaplab-record-test-program fork
inline constexpr TraceSample kForkTrace{"fork.trace", 19731, 19732};
// rmaplab-record-test-program thread
inline constexpr TraceSample kThreadTrace{"thread.trace", 19734, 19735};
// rmaplab-record-test-program crash
inline constexpr TraceSample kCrashTrace{"crash.trace", 19737, 19738};
// sh -c '(/bin/true); /bin/true'
inline constexpr TraceSample kShellTrace{"sh_subshell.trace", 19931, 19932};

}  // namespace rmaplab::record::testing
