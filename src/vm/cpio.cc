#include "vm/cpio.h"

#include <sys/stat.h>

#include <fmt/format.h>

namespace rmaplab::vm {
namespace {

std::string_view relative(std::string_view path) {
  while (path.starts_with('/')) path.remove_prefix(1);
  return path;
}

void pad4(std::string* out) {
  while (out->size() % 4) out->push_back('\0');
}

}  // namespace

void CpioWriter::entry(std::string_view name, std::uint32_t mode, std::string_view content) {
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
  // rdevminor namesize check, eight hex digits each.
  out_ += fmt::format(
      "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
      ino_++, mode, 0, 0, (mode & S_IFMT) == S_IFDIR ? 2 : 1, 0, content.size(), 0, 0, 0, 0,
      name.size() + 1, 0);
  out_ += name;
  out_.push_back('\0');
  pad4(&out_);
  out_ += content;
  pad4(&out_);
}

void CpioWriter::parents(std::string_view path) {
  path = relative(path);
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1))
    directory(path.substr(0, slash));
}

void CpioWriter::directory(std::string_view path) {
  path = relative(path);
  if (path.empty() || dirs_.contains(path)) return;
  parents(path);
  dirs_.emplace(path);
  entry(path, S_IFDIR | 0755, {});
}

void CpioWriter::file(std::string_view path, std::string_view content, std::uint32_t mode) {
  parents(path);
  entry(relative(path), S_IFREG | (mode & 07777), content);
}

std::string CpioWriter::finish() {
  entry("TRAILER!!!", 0, {});
  return std::move(out_);
}

}  // namespace rmaplab::vm
