// JSON text written by hand, for the page's data: a string literal safe to
// sit inside an HTML <script> element. Internal to src/html.
#pragma once

#include <string>
#include <string_view>

namespace rmaplab::html {

// `s` as a JSON string literal, with '<', '>' and '&' escaped too, so no
// "</script>" can end the element early.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

inline std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace rmaplab::html
