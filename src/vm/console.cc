// Reading a guest's console for signs that its kernel failed.
#include <array>
#include <vector>

#include <fmt/format.h>

#include "rmaplab/vm.h"

namespace rmaplab::vm {
namespace {

struct Sign {
  std::string_view text, what;
};
// In the order a failure prints them: the first line found names it.
constexpr std::array<Sign, 7> kSigns = {{
    {"Kernel panic", "a kernel panic"},
    {"BUG: ", "a kernel BUG"},
    {"Oops", "a kernel oops"},
    {"general protection fault", "a general protection fault"},
    {"WARNING: ", "a kernel WARNING"},
    {"Call Trace:", "a kernel stack trace"},
    {"watchdog: ", "a watchdog report"},
}};

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

}  // namespace

std::string console_failure(std::string_view console) {
  const std::vector<std::string_view> lines = lines_of(console);
  for (std::size_t i = 0; i < lines.size(); ++i)
    for (const Sign& s : kSigns)
      if (lines[i].find(s.text) != std::string_view::npos) {
        std::string out =
            fmt::format("the guest's console shows {} (console line {}):", s.what, i + 1);
        const std::size_t from = i >= 3 ? i - 3 : 0;
        for (std::size_t j = from; j < lines.size() && j < i + 20; ++j)
          out += fmt::format("\n  | {}", lines[j]);
        return out;
      }
  return "";
}

}  // namespace rmaplab::vm
