// The Graphviz picture of a modelled state, and its rendering to SVG.
//
//   cluster P: [0,8) rw-p ──1 (bold: active)──> anon_vma #2 ┄┄parent┄┄> anon_vma #1
//                         ──2───────────────────────────────────────────^
//
// Node names come from the model's stable ids (vmaN, avN), processes are in
// slot order, VMAs in address order and anon_vmas by id, so the same script
// and line always give the same text.
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "rmaplab/report.h"
#include "rmaplab/state.h"

extern char** environ;

namespace rmaplab::report {
namespace {

// DOT double-quoted string contents.
std::string quote(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string state_dot(const State& state) {
  const Script& script = state.script();
  std::string title = script.file;
  if (state.line() == 0) {
    title += ": before the first operation";
  } else {
    // The last operation applied: the last one on that line.
    const int line = state.line();
    auto it = std::find_if(script.ops.rbegin(), script.ops.rend(),
                           [&](const Op& op) { return op.line == line; });
    title += fmt::format(" after line {}: {}", line, format_op(script, *it));
  }

  std::string out = "digraph rmaplab {\n";
  out += fmt::format("  label=\"{}\";\n  labelloc=t;\n  rankdir=LR;\n", quote(title));
  out += "  node [fontname=\"monospace\", fontsize=10];\n";
  out += "  edge [fontname=\"monospace\", fontsize=9];\n";

  // Processes and their VMAs.
  std::string edges;
  for (int slot : state.processes()) {
    out += fmt::format("  subgraph cluster_{} {{\n    label=\"{}\";\n", slot,
                       quote(script.procs[slot]));
    const std::vector<VmaView> vmas = state.vmas(slot);
    if (vmas.empty())
      out += fmt::format("    empty{} [shape=plaintext, label=\"no mappings\"];\n", slot);
    for (const VmaView& v : vmas) {
      std::string label = fmt::format("[{},{}) {}\\npgoff {:#x}", v.start, v.end, v.prot, v.pgoff);
      if (v.shmem) label += fmt::format("\\nshmem #{}", v.shmem);
      if (const std::size_t n = state.pages(slot, v.start, v.end).size())
        label += fmt::format("\\n{} present", n);
      out += fmt::format("    vma{} [shape=box, label=\"{}\"];\n", v.id, label);
      int position = 0;
      for (std::uint32_t av : v.chain) {
        ++position;
        const bool active = av == v.anon_vma;
        edges += fmt::format("  vma{} -> av{} [label=\"{}\"{}];\n", v.id, av, position,
                             active ? ", style=bold, penwidth=2" : "");
      }
    }
    out += "  }\n";
  }

  // anon_vmas, by id, with their counters and parent links.
  const std::vector<AnonVmaView> avs = state.anon_vmas();
  for (const AnonVmaView& av : avs) {
    std::string label = fmt::format("anon_vma #{}", av.id);
    label += av.root == av.id ? " (root)" : fmt::format("\\nroot #{}", av.root);
    label += fmt::format("\\nrefcount {}\\nnum_children {}\\nnum_active_vmas {}", av.refcount,
                         av.num_children, av.num_active_vmas);
    out += fmt::format("  av{} [shape=ellipse, label=\"{}\"];\n", av.id, label);
  }
  for (const AnonVmaView& av : avs)
    if (av.parent != av.id)
      edges += fmt::format("  av{} -> av{} [style=dashed, label=\"parent\"];\n", av.id, av.parent);
  out += edges;
  out += "}\n";
  return out;
}

Status render_svg(const std::string& dot, const std::string& path) {
  // Find dot on PATH first, to say what to install rather than "exec failed".
  std::string exe;
  const char* env_path = std::getenv("PATH");
  std::string_view rest = env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
  while (exe.empty()) {
    const std::size_t colon = rest.find(':');
    // An empty entry is the current directory. (Built in one expression:
    // assigning "." afterwards draws a false -Wrestrict from GCC 12.)
    const std::string dir = colon == 0 ? std::string(1, '.') : std::string(rest.substr(0, colon));
    std::string candidate = dir + "/dot";
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      exe = candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (exe.empty()) return Error{"graphviz's dot is not installed (apt-get install graphviz)"};

  int fds[2];
  if (::pipe(fds) != 0) return Error{fmt::format("cannot run dot: {}", std::strerror(errno))};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string out_flag = "-o" + path;
  char* argv[] = {const_cast<char*>("dot"), const_cast<char*>("-Tsvg"), out_flag.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return Error{fmt::format("cannot run {}: {}", exe, std::strerror(rc))};
  }
  // dot may exit early (a bad output path): see EPIPE, not SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  std::string_view left = dot;
  while (!left.empty()) {
    const ssize_t n = ::write(fds[1], left.data(), left.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error{fmt::format("dot could not write '{}' (it exited with status {})", path,
                             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status))};
  return ok_status();
}

}  // namespace rmaplab::report
