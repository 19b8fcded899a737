// Well-formed UTF-8, byte by byte: shared by the parser (which rejects
// anything else) and printable() (which escapes it).
#pragma once

#include <cstddef>
#include <string_view>

namespace rmaplab {

// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 if the
// bytes there are not one (overlong forms, surrogates and code points above
// U+10FFFF included).
inline std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  auto cont = [&](std::size_t k) { return at(k) >= 0x80 && at(k) <= 0xbf; };
  const unsigned c = at(i);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return at(i + 1) >= lo && at(i + 1) <= hi && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return at(i + 1) >= lo && at(i + 1) <= hi && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

}  // namespace rmaplab
