// printable(): user-supplied text made safe to print (rmaplab/printable.h).
#include "rmaplab/printable.h"

#include <fmt/format.h>

#include "utf8.h"

namespace rmaplab {

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto escape = [&](std::size_t from, std::size_t n) {
    for (std::size_t k = from; k < from + n; ++k)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[k]));
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = utf8_length(text, i);
    if (len == 0) {
      escape(i, 1);
      i += 1;
      continue;
    }
    const bool c0 = len == 1 && (c < 0x20 || c == 0x7f);
    // U+0080..U+009F are encoded as 0xc2 0x80..0x9f.
    const bool c1 = len == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c0 || c1) {
      escape(i, len);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace rmaplab
