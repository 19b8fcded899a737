// Parser and checker for the workload language (.rml).
//
// One pass, one line at a time, linear in the input. Each line is first
// checked as bytes (at most kMaxLineBytes, no NUL, valid UTF-8, a trailing
// '\r' of a CRLF file dropped), then split into tokens up to '#', then read
// left to right against the grammar of its verb and the process table built
// so far. The first problem found is the leftmost one on the first bad line,
// reported as "FILE:LINE:COLUMN: REASON" where COLUMN counts characters from 1
// (a tab is one column). Any byte sequence gives a Script or such an Error:
// the parser never throws on bad input and never reads past a token, because
// it is fuzzed with arbitrary bytes.
//
// Words of the language are spelled only by to_string() (format.cc); this
// file looks them up through it.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rmaplab/printable.h"
#include "rmaplab/script.h"
#include "rmaplab/suggest.h"
#include "utf8.h"

namespace rmaplab {
namespace {

// Limits that keep hostile input cheap. A real workload line is a few dozen
// bytes; the line cap also keeps Op::line far from int overflow.
constexpr std::size_t kMaxLineBytes = 4096;
constexpr int kMaxLines = 1 << 24;
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;  // load_script

// Grammar of each verb, indexed by Verb; quoted in messages.
constexpr std::string_view kUsage[] = {
    "spawn P",          "P mmap A N [PROT] [shared]",
    "P munmap A N",     "P mprotect A N PROT",
    "P mremap A N B M", "P madvise A N ADVICE",
    "P write A [N]",    "P read A [N]",
    "P fork C",         "P exit",
};
static_assert(std::size(kUsage) == static_cast<std::size_t>(Verb::exit) + 1);

// Candidates in the order the language document lists them; the order breaks
// ties between equally close "did you mean" suggestions.
constexpr Verb kOpVerbs[] = {Verb::mmap,  Verb::munmap, Verb::mprotect, Verb::mremap, Verb::madvise,
                             Verb::write, Verb::read,   Verb::fork,     Verb::exit};
constexpr Prot kProts[] = {Prot::rw, Prot::r, Prot::rx, Prot::rwx, Prot::none};
constexpr Advice kAdvices[] = {Advice::dontneed, Advice::dontfork, Advice::dofork,
                               Advice::wipeonfork, Advice::keeponfork};
constexpr std::string_view kShared = "shared";
constexpr std::string_view kNameRule = "names match [A-Za-z_][A-Za-z0-9_]*";
constexpr std::string_view kNumberRule = "write it in decimal, e.g. 42, or hexadecimal, e.g. 0x2a";

struct Token {
  std::string_view text;
  int column = 1;
};

// A token as shown in a message: quoted, printable ASCII only (anything else,
// and the backslash itself, as \xNN, so a message can never carry terminal
// escapes and reads back unambiguously), and cut short.
std::string quote(std::string_view t) {
  constexpr std::size_t kShown = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i == kShown) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

bool is_name(std::string_view t) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (t.empty() || !alpha(t[0])) return false;
  return std::all_of(t.begin() + 1, t.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// A number in decimal or 0x hexadecimal. On overflow the value saturates at
// UINT64_MAX, which every range check then rejects, so callers need no
// separate "too large" case.
std::optional<std::uint64_t> parse_number(std::string_view t) {
  unsigned base = 10;
  if (t.size() > 2 && t[0] == '0' && t[1] == 'x') {
    base = 16;
    t.remove_prefix(2);
  }
  if (t.empty()) return std::nullopt;
  std::uint64_t v = 0;
  bool overflow = false;
  for (char c : t) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (v > (UINT64_MAX - d) / base) overflow = true;
    if (!overflow) v = v * base + d;
  }
  return overflow ? UINT64_MAX : v;
}

// The candidate closest to word if it is close enough to be a typo: one edit
// for short words, two for longer ones. Ties go to the smaller difference in
// length, then to the earlier candidate.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& cands) {
  constexpr std::size_t kMaxWord = 64;  // keeps the quadratic distance cheap
  if (word.empty() || word.size() > kMaxWord) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_d = 0, best_len = 0;
  for (std::string_view c : cands) {
    const std::size_t len_diff =
        c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (len_diff > 2 || c.size() > kMaxWord) continue;
    const std::size_t d = edit_distance(word, c);
    const std::size_t allowed = std::max(word.size(), c.size()) <= 4 ? 1 : 2;
    if (d > allowed) continue;
    if (!best || d < best_d || (d == best_d && len_diff < best_len)) {
      best = c;
      best_d = d;
      best_len = len_diff;
    }
  }
  return best;
}

template <class E, std::size_t K>
std::vector<std::string_view> spellings(const E (&values)[K]) {
  std::vector<std::string_view> out;
  for (E v : values) out.push_back(to_string(v));
  return out;
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// "(did you mean 'x'?)" when word is a likely typo of a candidate, else
// "(expected one of: ...)".
std::string hint(std::string_view word, const std::vector<std::string_view>& cands) {
  if (auto c = closest(word, cands)) return fmt::format("(did you mean '{}'?)", *c);
  return fmt::format("(expected one of: {})", join(cands));
}

struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Process {
  int born_line = 0;  // line of the spawn or fork that created it
  int exit_line = 0;  // line of its exit, 0 while it is alive
};

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(printable(file)) { script_.file = file_; }

  Result<Script> run(std::string_view text) {
    std::size_t pos = 0;
    // Editors on some systems start UTF-8 files with a byte-order mark, which
    // is invisible on screen; skip it rather than reject the first token.
    if (text.substr(0, 3) == "\xef\xbb\xbf") pos = 3;
    while (pos < text.size()) {
      const std::size_t nl = text.find('\n', pos);
      const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line_ == kMaxLines) {
        line_ += 1;
        return error_at(1, fmt::format("script has more than {} lines", kMaxLines));
      }
      line_ += 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (Status s = split(line); !s.ok()) return s.error();
      if (tokens_.empty()) continue;
      if (Status s = parse_line(); !s.ok()) return s.error();
    }
    return std::move(script_);
  }

 private:
  Error error_at(int column, std::string_view reason) const {
    return Error{fmt::format("{}:{}:{}: {}", file_, line_, column, reason)};
  }

  // Checks the bytes of one line and splits it into tokens_ (up to '#').
  Status split(std::string_view line) {
    tokens_.clear();
    if (line.size() > kMaxLineBytes) {
      return error_at(1,
                      fmt::format("line is {} bytes; the limit is {}", line.size(), kMaxLineBytes));
    }
    bool comment = false;
    bool in_token = false;
    int column = 1;
    for (std::size_t i = 0; i < line.size(); ++column) {
      const char c = line[i];
      if (c == '\0') return error_at(column, "unexpected NUL byte (a script is text)");
      const std::size_t len = utf8_length(line, i);
      if (len == 0) {
        return error_at(column,
                        fmt::format("invalid UTF-8 byte 0x{:02x}", static_cast<unsigned char>(c)));
      }
      if (!comment) {
        if (c == '#') {
          comment = true;
          in_token = false;
        } else if (c == ' ' || c == '\t') {
          in_token = false;
        } else if (!in_token) {
          in_token = true;
          tokens_.push_back({line.substr(i, 0), column});
        }
        if (in_token) {
          auto& t = tokens_.back().text;
          t = std::string_view(t.data(), t.size() + len);
        }
      }
      i += len;
    }
    return Ok{};
  }

  Status parse_line() {
    if (tokens_[0].text == to_string(Verb::spawn)) return parse_spawn();

    Result<int> proc = live_process(tokens_[0]);
    if (!proc) return proc.error();
    if (tokens_.size() < 2) {
      return error_at(tokens_[0].column,
                      fmt::format("missing operation after {} (expected one of: {})",
                                  quote(tokens_[0].text), join(spellings(kOpVerbs))));
    }
    const Token& vt = tokens_[1];
    if (vt.text == to_string(Verb::spawn)) {
      return error_at(vt.column,
                      "'spawn' cannot follow a process name (usage: spawn P; "
                      "to create a child use P fork C)");
    }
    std::optional<Verb> verb;
    for (Verb v : kOpVerbs) {
      if (vt.text == to_string(v)) verb = v;
    }
    if (!verb) {
      return error_at(vt.column, fmt::format("unknown operation {} {}", quote(vt.text),
                                             hint(vt.text, spellings(kOpVerbs))));
    }

    op_ = Op{};
    op_.verb = *verb;
    op_.line = line_;
    op_.column = tokens_[0].column;
    op_.proc = *proc;
    op_.arg_column = tokens_.size() > 2 ? tokens_[2].column : vt.column;
    Status s = parse_args();
    if (!s.ok()) return s;
    script_.ops.push_back(op_);
    return Ok{};
  }

  Status parse_spawn() {
    op_ = Op{};
    op_.verb = Verb::spawn;
    op_.line = line_;
    op_.column = tokens_[0].column;
    Result<Token> name = need(1, "process name P");
    if (!name) return name.error();
    if (Status s = end_at(2); !s.ok()) return s;
    Result<int> slot = new_process(*name);
    if (!slot) return slot.error();
    op_.proc = *slot;
    op_.arg_column = name->column;
    script_.ops.push_back(op_);
    return Ok{};
  }

  // Arguments of a verb that follows a process name: tokens_[2...].
  Status parse_args() {
    switch (op_.verb) {
      case Verb::mmap: {
        if (Status s = range(2, "page A", "page count N", op_.a, op_.n); !s.ok()) return s;
        std::size_t i = 4;
        const bool has_prot = i < tokens_.size() && tokens_[i].text != kShared;
        if (has_prot) {
          Result<Prot> p = prot(tokens_[i], /*or_shared=*/true);
          if (!p) return p.error();
          op_.prot = *p;
          ++i;
        }
        if (i < tokens_.size() && tokens_[i].text == kShared) {
          op_.shared = true;
          ++i;
        }
        if (op_.shared && !has_prot && i < tokens_.size()) {
          for (Prot p : kProts) {
            if (tokens_[i].text == to_string(p)) {
              return error_at(tokens_[i].column,
                              fmt::format("{} must come before 'shared' (usage: {})",
                                          quote(tokens_[i].text), usage()));
            }
          }
        }
        if (!op_.shared && i < tokens_.size()) {
          if (auto c = closest(tokens_[i].text, {kShared})) {
            return error_at(tokens_[i].column, fmt::format("unexpected {} at the end of the line "
                                                           "(did you mean '{}'?)",
                                                           quote(tokens_[i].text), *c));
          }
        }
        return end_at(i);
      }
      case Verb::munmap:
        if (Status s = range(2, "page A", "page count N", op_.a, op_.n); !s.ok()) return s;
        return end_at(4);
      case Verb::mprotect: {
        if (Status s = range(2, "page A", "page count N", op_.a, op_.n); !s.ok()) return s;
        Result<Token> t = need(4, "protection PROT");
        if (!t) return t.error();
        Result<Prot> p = prot(*t, /*or_shared=*/false);
        if (!p) return p.error();
        op_.prot = *p;
        return end_at(5);
      }
      case Verb::mremap:
        if (Status s = range(2, "page A", "page count N", op_.a, op_.n); !s.ok()) return s;
        if (Status s = range(4, "destination page B", "new page count M", op_.b, op_.m); !s.ok()) {
          return s;
        }
        return end_at(6);
      case Verb::madvise: {
        if (Status s = range(2, "page A", "page count N", op_.a, op_.n); !s.ok()) return s;
        Result<Token> t = need(4, "advice ADVICE");
        if (!t) return t.error();
        std::optional<Advice> advice;
        for (Advice a : kAdvices) {
          if (t->text == to_string(a)) advice = a;
        }
        if (!advice) {
          return error_at(t->column, fmt::format("unknown advice {} {}", quote(t->text),
                                                 hint(t->text, spellings(kAdvices))));
        }
        op_.advice = *advice;
        return end_at(5);
      }
      case Verb::write:
      case Verb::read: {
        const bool has_count = tokens_.size() > 3;
        if (Status s = range(2, "page A", has_count ? "page count N" : "", op_.a, op_.n); !s.ok()) {
          return s;
        }
        return end_at(has_count ? 4 : 3);
      }
      case Verb::fork: {
        Result<Token> name = need(2, "child name C");
        if (!name) return name.error();
        if (Status s = end_at(3); !s.ok()) return s;
        Result<int> slot = new_process(*name);
        if (!slot) return slot.error();
        op_.child = *slot;
        return Ok{};
      }
      case Verb::exit:
        if (Status s = end_at(2); !s.ok()) return s;
        procs_[op_.proc].exit_line = line_;
        return Ok{};
      case Verb::spawn:
        break;
    }
    return error_at(tokens_[1].column, "internal error: unhandled operation");
  }

  std::string_view usage() const { return kUsage[static_cast<std::size_t>(op_.verb)]; }

  // The verb's token: "spawn", or the word after the process name.
  const Token& verb_token() const { return tokens_[op_.verb == Verb::spawn ? 0 : 1]; }

  Result<Token> need(std::size_t i, std::string_view what) {
    if (i < tokens_.size()) return tokens_[i];
    return error_at(verb_token().column, fmt::format("{} is missing its {} (usage: {})",
                                                     quote(verb_token().text), what, usage()));
  }

  // The line must end before token i.
  Status end_at(std::size_t i) {
    if (i >= tokens_.size()) return Ok{};
    return error_at(tokens_[i].column,
                    fmt::format("unexpected {} at the end of the line (usage: {})",
                                quote(tokens_[i].text), usage()));
  }

  // Pages [start, start + count) from tokens i and i + 1, inside the arena.
  // An empty count_what means the count is optional and absent: it is 1.
  Status range(std::size_t i, std::string_view start_what, std::string_view count_what,
               std::uint32_t& start, std::uint32_t& count) {
    Result<Token> st = need(i, start_what);
    if (!st) return st.error();
    // The message names the argument by its role, not its letter.
    const std::string_view start_role = start_what.substr(0, start_what.rfind(' '));
    const std::optional<std::uint64_t> a = parse_number(st->text);
    if (!a) {
      return error_at(st->column, fmt::format("{} {} is not a number ({})", start_role,
                                              quote(st->text), kNumberRule));
    }
    if (*a >= kArenaPages) {
      return error_at(st->column, fmt::format("{} {} is outside the arena (pages 0 to {})",
                                              start_role, quote(st->text), kArenaPages - 1));
    }
    start = static_cast<std::uint32_t>(*a);
    if (count_what.empty()) {
      count = 1;
      return Ok{};
    }

    Result<Token> ct = need(i + 1, count_what);
    if (!ct) return ct.error();
    const std::string_view count_role = count_what.substr(0, count_what.rfind(' '));
    const std::optional<std::uint64_t> n = parse_number(ct->text);
    if (!n) {
      return error_at(ct->column, fmt::format("{} {} is not a number ({})", count_role,
                                              quote(ct->text), kNumberRule));
    }
    if (*n == 0) return error_at(ct->column, fmt::format("{} must be at least 1", count_role));
    if (*n > kArenaPages - *a) {
      if (*n > kArenaPages) {
        return error_at(ct->column, fmt::format("{} {} is larger than the arena ({} pages)",
                                                count_role, quote(ct->text), kArenaPages));
      }
      return error_at(ct->column,
                      fmt::format("pages {} to {} run past the end of the arena (last page {})", *a,
                                  *a + *n - 1, kArenaPages - 1));
    }
    count = static_cast<std::uint32_t>(*n);
    return Ok{};
  }

  // PROT; for mmap the word in its place may also be 'shared', so a typo of
  // that is suggested too.
  Result<Prot> prot(const Token& t, bool or_shared) {
    for (Prot p : kProts) {
      if (t.text == to_string(p)) return p;
    }
    std::vector<std::string_view> cands = spellings(kProts);
    if (or_shared) cands.push_back(kShared);
    return error_at(t.column,
                    fmt::format("unknown protection {} {}", quote(t.text), hint(t.text, cands)));
  }

  // A name that is about to be created by spawn or fork.
  Result<int> new_process(const Token& t) {
    if (!is_name(t.text)) {
      return error_at(t.column,
                      fmt::format("{} is not a valid process name ({})", quote(t.text), kNameRule));
    }
    if (t.text == to_string(Verb::spawn)) {
      return error_at(t.column,
                      "'spawn' cannot be a process name (a line starting with it is a spawn)");
    }
    if (auto it = slots_.find(t.text); it != slots_.end()) {
      return error_at(t.column, fmt::format("{} is already used as a process name (line {})",
                                            quote(t.text), procs_[it->second].born_line));
    }
    const int slot = static_cast<int>(script_.procs.size());
    script_.procs.emplace_back(t.text);
    slots_.emplace(std::string(t.text), slot);
    procs_.push_back({line_, 0});
    return slot;
  }

  // The process a line starts with: it must exist and not have exited.
  Result<int> live_process(const Token& t) {
    if (!is_name(t.text)) {
      return error_at(t.column,
                      fmt::format("{} is not a valid process name ({})", quote(t.text), kNameRule));
    }
    const auto it = slots_.find(t.text);
    if (it == slots_.end()) {
      for (Verb v : kOpVerbs) {
        if (t.text == to_string(v)) {
          return error_at(t.column,
                          fmt::format("unknown process {} (a line starts with the process "
                                      "name: {})",
                                      quote(t.text), kUsage[static_cast<std::size_t>(v)]));
        }
      }
      std::vector<std::string_view> cands;
      for (std::size_t slot = 0; slot < script_.procs.size(); ++slot) {
        if (procs_[slot].exit_line == 0) cands.push_back(script_.procs[slot]);
      }
      if (tokens_.size() == 2) cands.push_back(to_string(Verb::spawn));
      if (auto c = closest(t.text, cands)) {
        return error_at(t.column,
                        fmt::format("unknown process {} (did you mean '{}'?)", quote(t.text), *c));
      }
      return error_at(t.column,
                      fmt::format("unknown process {} (no spawn or fork creates it before "
                                  "this line)",
                                  quote(t.text)));
    }
    if (const int exited = procs_[it->second].exit_line; exited != 0) {
      return error_at(t.column,
                      fmt::format("process {} has exited (at line {})", quote(t.text), exited));
    }
    return it->second;
  }

  std::string file_;  // as shown in messages (printable())
  Script script_;
  int line_ = 0;
  std::vector<Token> tokens_;  // of the current line, reused
  Op op_;                      // being built from the current line
  std::unordered_map<std::string, int, NameHash, std::equal_to<>> slots_;
  std::vector<Process> procs_;  // by slot
};

}  // namespace

Result<Script> parse_script(std::string_view text, std::string_view file) {
  return Parser(file).run(text);
}

Result<Script> load_script(const std::string& path) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "<stdin>" : path;
  const std::string shown = is_stdin ? name : "'" + printable(path) + "'";
  std::FILE* f = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Error{fmt::format("cannot read {}: {}", shown, std::strerror(errno))};
  }
  std::string text;
  char buf[1 << 16];
  int err = 0;
  bool too_big = false;
  for (;;) {
    const std::size_t got = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, got);
    if (text.size() > kMaxFileBytes) {
      too_big = true;  // also stops endless inputs such as /dev/zero
      break;
    }
    if (got < sizeof buf) {
      if (std::ferror(f)) err = errno != 0 ? errno : EIO;
      break;
    }
  }
  if (!is_stdin) std::fclose(f);
  if (too_big) {
    return Error{fmt::format("cannot read {}: larger than {} MiB", shown, kMaxFileBytes >> 20)};
  }
  if (err != 0) return Error{fmt::format("cannot read {}: {}", shown, std::strerror(err))};
  return parse_script(text, name);
}

}  // namespace rmaplab
