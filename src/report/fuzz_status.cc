// rmaplab fuzz's status block: its lines, fitted to a width, and redrawing
// it in place.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/fuzz.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

std::string rate(double n, double seconds) {
  return seconds > 0 ? fmt::format("{:.0f}/s", n / seconds) : "-";
}

std::string count(std::uint64_t n) {
  if (n >= 1'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

// `cells` after `first` on one line, joined by `sep`, continuing on lines
// that start with `indent` whenever the next cell would pass `width`.
void wrap(std::vector<std::string>& lines, std::string first, std::string_view indent,
          std::string_view sep, const std::vector<std::string>& cells, std::size_t width) {
  std::string line = std::move(first);
  bool fresh = true;  // nothing after the line's prefix yet
  for (const std::string& cell : cells) {
    const std::size_t need = (fresh ? 0 : sep.size()) + cell.size();
    if (!fresh && line.size() + need > width) {
      lines.push_back(std::move(line));
      line = std::string(indent);
      fresh = true;
    }
    line += (fresh ? "" : std::string(sep)) + cell;
    fresh = false;
  }
  lines.push_back(std::move(line));
}

}  // namespace

std::vector<std::string> fuzz_status_lines(const FuzzStats& s, std::size_t width) {
  width = std::max<std::size_t>(width, 40);
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{:.0f} s: {} scripts ({}), {} operations ({})", s.seconds, s.scripts,
                              rate(static_cast<double>(s.scripts), s.seconds), s.operations,
                              rate(static_cast<double>(s.operations), s.seconds)));
  std::vector<std::string> verbs;
  for (int v = 0; v < kVerbs; ++v)
    verbs.push_back(fmt::format("{} {}", to_string(static_cast<Verb>(v)), count(s.verbs[v])));
  wrap(lines, "  verbs: ", "         ", " ", verbs, width);
  int taken = 0;
  for (int p = 0; p < kCoverPaths; ++p) taken += s.paths[p] ? 1 : 0;
  lines.push_back(fmt::format("  model paths taken: {} of {}", taken, kCoverPaths));
  std::vector<std::string> paths;
  for (int p = 0; p < kCoverPaths; ++p)
    paths.push_back(
        fmt::format("{} {}", cover_path_name(p), s.paths[p] ? count(s.paths[p]) : "NEVER"));
  wrap(lines, "    ", "    ", "  |  ", paths, width);
  // A cell wider than the terminal would wrap there and break the redraw.
  for (std::string& l : lines)
    if (l.size() > width) l.resize(width);
  return lines;
}

std::string StatusBlock::redraw(const std::vector<std::string>& lines) {
  std::string out = clear();
  for (const std::string& l : lines) out += l + "\n";
  drawn_ = static_cast<int>(lines.size());
  return out;
}

std::string StatusBlock::clear() {
  if (drawn_ == 0) return "";
  // Up over what was drawn, to the first column, and erase to the end of
  // the screen.
  std::string out = fmt::format("\x1b[{}A\r\x1b[J", drawn_);
  drawn_ = 0;
  return out;
}

void Reporter::status(std::string_view text) {
  err_ << text;
  err_.flush();
}

}  // namespace rmaplab::report
