// libFuzzer target: the workload language's parser (script text in).
//
// Properties: parsing never crashes; every rejection is one located
// message, "fuzz.rml:LINE:COLUMN: REASON", with LINE and COLUMN inside the
// input; and every accepted script, written out in canonical form, parses
// again to the same canonical form. In memory only.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rmaplab/fuzz.h"
#include "rmaplab/script.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "script_parser_fuzzer: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// "fuzz.rml:LINE:COLUMN: REASON" with LINE and COLUMN pointing into `text`.
bool located(std::string_view message, std::string_view text) {
  constexpr std::string_view kFile = "fuzz.rml:";
  if (!message.starts_with(kFile)) return false;
  std::size_t at = kFile.size();
  auto number = [&](std::uint64_t* out) {
    const std::size_t begin = at;
    std::uint64_t v = 0;
    while (at < message.size() && message[at] >= '0' && message[at] <= '9' && at - begin < 12)
      v = v * 10 + static_cast<std::uint64_t>(message[at++] - '0');
    *out = v;
    return at > begin;
  };
  std::uint64_t line = 0, column = 0;
  if (!number(&line) || at >= message.size() || message[at++] != ':') return false;
  if (!number(&column) || message.substr(at, 2) != ": " || message.size() <= at + 2) return false;
  // LINE is a line of the text (or the one after a final newline); COLUMN
  // is in it or just past its end.
  std::size_t start = 0;
  for (std::uint64_t l = 1; l < line; ++l) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return false;
    start = nl + 1;
  }
  if (line == 0) return false;
  const std::size_t end = std::min(text.find('\n', start), text.size());
  return column >= 1 && column <= end - start + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto script = rmaplab::parse_script(text, "fuzz.rml");
  if (!script) {
    if (!located(script.error().message, text))
      fail("rejection not located", script.error().message);
    return 0;
  }
  const std::string canonical = rmaplab::script_text(*script);
  auto again = rmaplab::parse_script(canonical, "again.rml");
  if (!again) fail("canonical form rejected", again.error().message);
  if (rmaplab::script_text(*again) != canonical) fail("canonical form not stable", canonical);
  return 0;
}
