// The SVG of a DOT picture as text, for `show --svg -`.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {

Result<std::string> svg_text(const std::string& dot) {
  // dot writes to a file (render_svg); a private temporary one is read back.
  std::error_code ec;
  const auto dir = std::filesystem::temp_directory_path(ec);
  std::string path = ((ec ? std::filesystem::path("/tmp") : dir) / "rmaplab-svg-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0)
    return Error{
        fmt::format("cannot create a temporary file for the SVG: {}", std::strerror(errno))};
  ::close(fd);
  Status s = render_svg(dot, path);
  std::string text;
  if (s) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  std::filesystem::remove(path, ec);
  if (!s) return s.error();
  return text;
}

}  // namespace rmaplab::report
