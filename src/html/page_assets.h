// The page's template, styles and script (page.html, page.css, page.js in
// this folder), embedded into the library at build time (embed_text.cmake).
// Internal to src/html.
#pragma once

#include <string_view>

namespace rmaplab::html {

extern const std::string_view kPageHtml;
extern const std::string_view kPageCss;
extern const std::string_view kPageJs;

}  // namespace rmaplab::html
