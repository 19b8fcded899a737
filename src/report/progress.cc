// Progress of long work on a terminal (report.h).
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

Progress::Progress(Reporter& reporter, std::string_view what, std::uint64_t total)
    : reporter_(reporter), what_(what), total_(total), last_ms_(now_ms()) {}

void Progress::draw(std::uint64_t done) {
  const std::int64_t now = now_ms();
  if (now - last_ms_ < 100) return;
  last_ms_ = now;
  reporter_.progress(fmt::format("{}: {} of {} operations", what_, grouped(done), grouped(total_)));
}

void Progress::end() { reporter_.end_progress(); }

}  // namespace rmaplab::report
