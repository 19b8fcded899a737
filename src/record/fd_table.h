// A task's descriptor table as the recording reconstructs it from the
// descriptor calls: which open file (OpenFile::id) each descriptor refers
// to, and its close-on-exec flag. Descriptors the recording never saw opened
// (inherited ones, pipes, sockets) are absent: an mmap of one maps
// kUnknownFile.
//
// Tables are shared between tasks created with CLONE_FILES (threads) and
// copied at fork; exec unshares the table and closes close-on-exec
// descriptors, as the kernel does.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace rmaplab::record {

class FdTable {
 public:
  struct Entry {
    std::uint32_t file = 0;
    bool cloexec = false;
  };

  std::optional<Entry> get(int fd) const;
  void set(int fd, Entry e) { fds_[fd] = e; }
  void close(int fd) { fds_.erase(fd); }
  void close_range(unsigned first, unsigned last, bool only_set_cloexec);
  void set_cloexec(int fd, bool on);
  // dup/dup2/dup3/F_DUPFD: newfd refers to oldfd's file, or is closed if
  // oldfd is unknown.
  void dup(int oldfd, int newfd, bool cloexec);
  void exec();  // closes the close-on-exec descriptors

 private:
  std::map<int, Entry> fds_;
};

using SharedFdTable = std::shared_ptr<FdTable>;

}  // namespace rmaplab::record
