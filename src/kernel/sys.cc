#include "kernel/sys.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace rmaplab::kernel {

void Fd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

Result<std::string> read_text_file(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      text.append(buf, std::size_t(n));
    } else if (n == 0) {
      return text;
    } else if (errno != EINTR) {
      return Error{fmt::format("cannot read {}: {}", path, std::strerror(errno))};
    }
  }
}

Status write_text_file(const std::string& path, std::string_view value) {
  Fd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n != ssize_t(value.size()))
    return Error{fmt::format("cannot write \"{}\" to {}: {}", value, path,
                             n < 0 ? std::strerror(errno) : "short write")};
  return ok_status();
}

std::string errno_name(int err) {
  if (const char* name = strerrorname_np(err)) return name;
  return fmt::format("E{}", err);
}

}  // namespace rmaplab::kernel
