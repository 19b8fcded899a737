// The progress line of long work on a terminal (report.h ProgressLine).
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {

ProgressLine::ProgressLine(int fd, std::size_t total, std::string_view what)
    : fd_(fd), total_(total), what_(what), active_(::isatty(fd) == 1) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::clear() {
  if (!drawn_) return;
  const std::string_view erase = "\r\033[K";
  (void)!::write(fd_, erase.data(), erase.size());
  drawn_ = false;
}

void ProgressLine::update(std::size_t done) {
  if (!active_) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (drawn_ && now - last_ns_ < 100'000'000) return;  // ten redraws a second at most
  last_ns_ = now;
  drawn_ = true;
  // Thousands grouped with commas, whatever the locale.
  auto grouped = [](std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  const std::string text = fmt::format("\r\033[K{}: {} of {} operations", what_, grouped(done),
                                       grouped(std::max(done, total_)));
  (void)!::write(fd_, text.data(), text.size());
}

}  // namespace rmaplab::report
