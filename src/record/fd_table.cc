#include "record/fd_table.h"

namespace rmaplab::record {

std::optional<FdTable::Entry> FdTable::get(int fd) const {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::nullopt;
  return it->second;
}

void FdTable::close_range(unsigned first, unsigned last, bool only_set_cloexec) {
  for (auto it = fds_.lower_bound(int(first > 0x7fffffffu ? 0x7fffffffu : first)); it != fds_.end();) {
    if (unsigned(it->first) > last) break;
    if (only_set_cloexec) {
      it->second.cloexec = true;
      ++it;
    } else {
      it = fds_.erase(it);
    }
  }
}

void FdTable::set_cloexec(int fd, bool on) {
  auto it = fds_.find(fd);
  if (it != fds_.end()) it->second.cloexec = on;
}

void FdTable::dup(int oldfd, int newfd, bool cloexec) {
  auto old = get(oldfd);
  if (!old) {
    fds_.erase(newfd);
    return;
  }
  fds_[newfd] = Entry{old->file, cloexec};
}

void FdTable::exec() {
  for (auto it = fds_.begin(); it != fds_.end();)
    it = it->second.cloexec ? fds_.erase(it) : std::next(it);
}

}  // namespace rmaplab::record
