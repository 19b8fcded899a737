// The workload language (.rml), as parsed.
//
// A Script is a checked, resolved list of operations: every process name has
// been turned into a dense slot number (in order of first appearance, the
// order the kernel runner starts helpers in), numbers are in range and every
// reference to a process is to one that exists and has not exited at that
// point. What parsing cannot know (whether a page is mapped when a process
// touches it) is found by running the model, which reports it as a script
// error before any output is produced. See shared/docs/workload-language.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab {

enum class Verb : std::uint8_t {
  spawn,
  mmap,
  munmap,
  mprotect,
  mremap,
  madvise,
  write,
  read,
  fork,
  exit
};

// PROT_* combinations the language allows.
enum class Prot : std::uint8_t { none, r, rx, rw, rwx };

enum class Advice : std::uint8_t { dontneed, dontfork, dofork, wipeonfork, keeponfork };

inline constexpr std::uint64_t kArenaPages = std::uint64_t{1} << 24;
inline constexpr std::uint64_t kArenaBase = 0x100000000000ULL;  // on the kernel
inline constexpr std::uint64_t kPageSize = 4096;

struct Op {
  Verb verb{};
  int line = 0;                      // 1-based line in the file
  int column = 1;                    // 1-based column of the operation's first token
  int arg_column = 1;                // column of the first page argument (A), for messages
  int proc = -1;                     // slot of the acting process (spawn: the new process)
  int child = -1;                    // fork: slot of the new child
  std::uint32_t a = 0, n = 0;        // pages [a, a+n)
  std::uint32_t b = 0, m = 0;        // mremap: destination page and new length
  Prot prot = Prot::rw;              // mmap, mprotect
  bool shared = false;               // mmap
  Advice advice = Advice::dontneed;  // madvise
};

struct Script {
  std::string file;                // as named in messages ("-" is <stdin>)
  std::vector<std::string> procs;  // slot -> process name
  std::vector<Op> ops;             // one per operation line, in order
};

// Parses and checks a whole script. On failure the error reads
// "FILE:LINE:COLUMN: REASON" and nothing has been run.
Result<Script> parse_script(std::string_view text, std::string_view file);

// Reads FILE ("-" for standard input) and parses it.
Result<Script> load_script(const std::string& path);

// "rw", "dontfork", "mremap", ...: the spelling the language uses.
std::string_view to_string(Verb v);
std::string_view to_string(Prot p);
std::string_view to_string(Advice a);

// The operation as a script line, with process names ("P mmap 0 16 r").
std::string format_op(const Script& s, const Op& op);

}  // namespace rmaplab
