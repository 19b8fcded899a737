// Running a helper program (apt-get, dpkg-deb, ldd) and collecting what it
// printed.
#pragma once

#include <string>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab::vm {

struct CommandOutput {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;    // stdout and stderr together, in order
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null, in `cwd` if
// given. An error only
// when it cannot be started (the sentence names the program).
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  const std::string& cwd = "");

// The last non-empty line of a program's output, for error sentences.
std::string last_line(const std::string& output);

}  // namespace rmaplab::vm
