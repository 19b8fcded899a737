// Running the built rmaplab command ($RMAPLAB_BIN) from a test: arguments,
// standard input, and what comes back (exit code, stdout, stderr).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace rmaplab::test {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string rmaplab_bin() {
  const char* bin = std::getenv("RMAPLAB_BIN");
  return bin ? bin : "";
}

inline std::string source_dir() { return RMAPLAB_SOURCE_DIR; }

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch directory per test process.
inline std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rmaplab-cli-XXXXXX").string();
    const char* made = ::mkdtemp(tmpl.data());
    return std::filesystem::path(made ? made : "/tmp");
  }();
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = scratch() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Runs rmaplab with `args` in the source directory (so examples/... paths
// work), feeding `input` on standard input.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "") {
  CliResult r;
  const std::string bin = rmaplab_bin();
  if (bin.empty()) {
    ADD_FAILURE() << "RMAPLAB_BIN is not set";
    return r;
  }
  static int serial = 0;
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(serial++);
  const auto in = write_file("in-" + tag, input);
  const auto out = scratch() / ("out-" + tag);
  const auto err = scratch() / ("err-" + tag);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_s = {bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Relative paths are relative to the source tree.
  const std::string dir = source_dir();
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << bin << ": " << rc;
    return r;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// Every examples/*.rml, sorted.
inline std::vector<std::filesystem::path> examples() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/examples"))
    if (e.path().extension() == ".rml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rmaplab::test
