// Small POSIX utilities for the kernel runner: whole-file I/O, an owning file
// descriptor, errno names.
#pragma once

#include <string>
#include <string_view>

#include "rmaplab/status.h"

namespace rmaplab::kernel {

// Reads a whole (proc/tracefs) file; the error names the path and errno.
Result<std::string> read_text_file(const std::string& path);
// Writes value to an existing file with one write(2) (tracefs control files).
Status write_text_file(const std::string& path, std::string_view value);

// "EFAULT" for EFAULT, ...; "E<number>" if the C library has no name.
std::string errno_name(int err);

// An owned file descriptor; closes on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace rmaplab::kernel
