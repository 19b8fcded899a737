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

#include "model/machine.h"
#include "rmaplab/report.h"

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

std::size_t present_pages(const model::mm_struct& mm, const model::vm_area_struct& v) {
  std::size_t n = 0;
  mm.ptes.for_each_present(v.vm_start, v.vm_end, [&](std::uint32_t, const model::folio*) { ++n; });
  return n;
}

}  // namespace

std::string state_dot(const Simulation& sim) {
  const Script& script = sim.script();
  const model::Machine& m = sim.machine();
  std::string title = script.file;
  if (sim.next_op() == 0) {
    title += ": before the first operation";
  } else {
    const Op& last = script.ops[sim.next_op() - 1];
    title += fmt::format(" after line {}: {}", last.line, format_op(script, last));
  }

  std::string out = "digraph rmaplab {\n";
  out += fmt::format("  label=\"{}\";\n  labelloc=t;\n  rankdir=LR;\n", quote(title));
  out += "  node [fontname=\"monospace\", fontsize=10];\n";
  out += "  edge [fontname=\"monospace\", fontsize=9];\n";

  // Processes and their VMAs.
  std::string edges;
  for (const auto& mm : m.processes()) {
    if (!mm || !mm->alive) continue;
    out += fmt::format("  subgraph cluster_{} {{\n    label=\"{}\";\n", mm->slot,
                       quote(script.procs[mm->slot]));
    if (mm->vmas.empty())
      out += fmt::format("    empty{} [shape=plaintext, label=\"no mappings\"];\n", mm->slot);
    mm->for_each_vma([&](const model::vm_area_struct& v) {
      std::string label =
          fmt::format("[{},{}) {}\\npgoff {:#x}", v.vm_start, v.vm_end, v.maps_prot(), v.vm_pgoff);
      if (v.shmem) label += fmt::format("\\nshmem #{}", v.shmem);
      if (const std::size_t n = present_pages(*mm, v)) label += fmt::format("\\n{} present", n);
      out += fmt::format("    vma{} [shape=box, label=\"{}\"];\n", v.id, label);
      int position = 0;
      v.for_each_avc([&](const model::anon_vma_chain& avc) {
        ++position;
        const bool active = avc.anon_vma == v.anon_vma;
        edges += fmt::format("  vma{} -> av{} [label=\"{}\"{}];\n", v.id, avc.anon_vma->id(),
                             position, active ? ", style=bold, penwidth=2" : "");
      });
    });
    out += "  }\n";
  }

  // anon_vmas, by id, with their counters and parent links.
  std::vector<const model::anon_vma*> avs(m.env().anon_vmas().begin(), m.env().anon_vmas().end());
  std::sort(avs.begin(), avs.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
  for (const model::anon_vma* av : avs) {
    std::string label = fmt::format("anon_vma #{}", av->id());
    label += av->is_root() ? " (root)" : fmt::format("\\nroot #{}", av->root()->id());
    label += fmt::format("\\nrefcount {}\\nnum_children {}\\nnum_active_vmas {}", av->refcount(),
                         av->num_children(), av->num_active_vmas());
    out += fmt::format("  av{} [shape=ellipse, label=\"{}\"];\n", av->id(), label);
  }
  for (const model::anon_vma* av : avs)
    if (av->parent() != av)
      edges += fmt::format("  av{} -> av{} [style=dashed, label=\"parent\"];\n", av->id(),
                           av->parent()->id());
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
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
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
