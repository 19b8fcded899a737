// The language's spellings and the canonical text of one operation.
//
// to_string() is the only place the words of the language are spelled; the
// parser looks words up through it, so the two can never disagree.
// format_op() prints the shortest line that parses back to the same
// operation: defaults are left out (PROT rw for mmap, N = 1 for read and
// write) and numbers are decimal. It never fails: an operation that names a
// slot the script does not have prints the slot as "?N" rather than crashing,
// since messages about broken operations are where it is most needed.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "rmaplab/script.h"

namespace rmaplab {

std::string_view to_string(Verb v) {
  switch (v) {
    case Verb::spawn:
      return "spawn";
    case Verb::mmap:
      return "mmap";
    case Verb::munmap:
      return "munmap";
    case Verb::mprotect:
      return "mprotect";
    case Verb::mremap:
      return "mremap";
    case Verb::madvise:
      return "madvise";
    case Verb::write:
      return "write";
    case Verb::read:
      return "read";
    case Verb::fork:
      return "fork";
    case Verb::exit:
      return "exit";
  }
  return "?";
}

std::string_view to_string(Prot p) {
  switch (p) {
    case Prot::none:
      return "none";
    case Prot::r:
      return "r";
    case Prot::rx:
      return "rx";
    case Prot::rw:
      return "rw";
    case Prot::rwx:
      return "rwx";
  }
  return "?";
}

std::string_view to_string(Advice a) {
  switch (a) {
    case Advice::dontneed:
      return "dontneed";
    case Advice::dontfork:
      return "dontfork";
    case Advice::dofork:
      return "dofork";
    case Advice::wipeonfork:
      return "wipeonfork";
    case Advice::keeponfork:
      return "keeponfork";
  }
  return "?";
}

namespace {

std::string name_of(const Script& s, int slot) {
  if (slot >= 0 && static_cast<std::size_t>(slot) < s.procs.size()) {
    return s.procs[slot];
  }
  return fmt::format("?{}", slot);
}

}  // namespace

std::string format_op(const Script& s, const Op& op) {
  if (op.verb == Verb::spawn) return "spawn " + name_of(s, op.proc);

  std::string out = fmt::format("{} {}", name_of(s, op.proc), to_string(op.verb));
  switch (op.verb) {
    case Verb::mmap:
      fmt::format_to(std::back_inserter(out), " {} {}", op.a, op.n);
      if (op.prot != Prot::rw) fmt::format_to(std::back_inserter(out), " {}", to_string(op.prot));
      if (op.shared) out += " shared";
      break;
    case Verb::munmap:
      fmt::format_to(std::back_inserter(out), " {} {}", op.a, op.n);
      break;
    case Verb::mprotect:
      fmt::format_to(std::back_inserter(out), " {} {} {}", op.a, op.n, to_string(op.prot));
      break;
    case Verb::mremap:
      fmt::format_to(std::back_inserter(out), " {} {} {} {}", op.a, op.n, op.b, op.m);
      break;
    case Verb::madvise:
      fmt::format_to(std::back_inserter(out), " {} {} {}", op.a, op.n, to_string(op.advice));
      break;
    case Verb::write:
    case Verb::read:
      fmt::format_to(std::back_inserter(out), " {}", op.a);
      if (op.n != 1) fmt::format_to(std::back_inserter(out), " {}", op.n);
      break;
    case Verb::fork:
      out += " " + name_of(s, op.child);
      break;
    case Verb::spawn:
    case Verb::exit:
      break;
  }
  return out;
}

}  // namespace rmaplab
