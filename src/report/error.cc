// An error that ends a command, in text and JSON (Reporter::error).
#include <charconv>
#include <optional>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

// The number that `text` is entirely made of, if it is one.
std::optional<int> whole(std::string_view text) {
  int v = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

nlohmann::json error_json(std::string_view sentence) {
  nlohmann::json e = {
      {"message", sentence}, {"file", nullptr}, {"line", nullptr}, {"column", nullptr}};
  // "FILE:LINE:COLUMN: reason" or "FILE:LINE: reason". The file may hold
  // colons itself, so read the numbers from the right of the first ": ".
  const std::size_t colon_space = sentence.find(": ");
  if (colon_space == std::string_view::npos) return {{"error", e}};
  std::string_view where = sentence.substr(0, colon_space);
  const std::size_t last = where.rfind(':');
  if (last == std::string_view::npos) return {{"error", e}};
  const auto n1 = whole(where.substr(last + 1));
  if (!n1) return {{"error", e}};
  where = where.substr(0, last);
  const std::size_t prev = where.rfind(':');
  if (prev != std::string_view::npos) {
    if (const auto n0 = whole(where.substr(prev + 1))) {
      if (prev == 0) return {{"error", e}};
      e["file"] = where.substr(0, prev);
      e["line"] = *n0;
      e["column"] = *n1;
      return {{"error", e}};
    }
  }
  if (where.empty()) return {{"error", e}};
  e["file"] = where;
  e["line"] = *n1;
  return {{"error", e}};
}

void Reporter::error(std::string_view sentence) {
  if (format_ == Format::json) write(out_, error_json(sentence).dump(2));
  write(err_, sentence);
}

}  // namespace rmaplab::report
