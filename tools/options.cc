// Number options read strictly, and the check that output reached its file.
#include "options.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "rmaplab/printable.h"

namespace rmaplab::cli {

std::optional<std::uint64_t> parse_whole(std::string_view text) {
  // from_chars takes no sign, no space, no "0x" here: "-1" must not become
  // 2^64-1 and "1e3" must not become 1.
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view text) {
  if (text.empty() || !((text.front() >= '0' && text.front() <= '9') || text.front() == '.'))
    return std::nullopt;
  double v = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::string range_sentence(std::string_view option, std::string_view text, std::string_view kind,
                           std::string_view min, std::string_view max) {
  return fmt::format("{} must be {} from {} to {}, not '{}'", option, kind, min, max,
                     printable(text));
}

ExitCode finish_output(std::string_view command, ExitCode code) {
  std::cout.flush();
  if (std::cout) return code;
  // The write that failed may be long past (the Reporter flushes as it
  // goes): name errno only if it is one a write sets.
  const int err = errno == ENOSPC || errno == EPIPE || errno == EIO || errno == EFBIG ||
                          errno == EDQUOT || errno == EBADF
                      ? errno
                      : 0;
  report::Reporter(report::Format::text, std::cout, std::cerr)
      .message(fmt::format("rmaplab {}: cannot write standard output{}; the output is incomplete",
                           command, err ? fmt::format(" ({})", std::strerror(err)) : ""));
  return kWriteFailed;
}

}  // namespace rmaplab::cli
