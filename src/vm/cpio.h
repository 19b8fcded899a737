// A newc ("070701") cpio archive, the format the kernel unpacks as an
// initramfs: directories and regular files, written in memory.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace rmaplab::vm {

class CpioWriter {
 public:
  // A directory; its parents first, each once. Paths are absolute.
  void directory(std::string_view path);
  // A regular file (its parent directories are added first).
  void file(std::string_view path, std::string_view content, std::uint32_t mode = 0644);
  // The archive with its trailer.
  std::string finish();

 private:
  void entry(std::string_view name, std::uint32_t mode, std::string_view content);
  void parents(std::string_view path);

  std::string out_;
  std::set<std::string, std::less<>> dirs_;
  std::uint32_t ino_ = 1;
};

}  // namespace rmaplab::vm
