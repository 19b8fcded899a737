// The guest's /init: the rmaplab binary as PID 1 (include/rmaplab/vm.h).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "rmaplab/vm.h"
#include "vm/guest_protocol.h"

namespace rmaplab::vm {
namespace {

void say(const std::string& line) {
  // The console, for the host's excerpt when something goes wrong.
  int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
  if (fd < 0) return;
  std::string l = "rmaplab-init: " + line + "\n";
  (void)!write(fd, l.data(), l.size());
  close(fd);
}

[[noreturn]] void power_off() {
  sync();
  reboot(RB_AUTOBOOT);  // with QEMU's -no-reboot, QEMU exits
  for (;;) pause();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A serial port in raw mode: bytes pass as written (no \n -> \r\n).
int open_port(const char* path) {
  int fd = open(path, O_WRONLY | O_NOCTTY);
  if (fd < 0) return -1;
  termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    cfsetospeed(&t, B115200);
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

// The names of the regular files directly in `dir`.
std::set<std::string> regular_files(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) names.insert(e.path().filename().string());
  return names;
}

bool write_all(int fd, std::string_view data);

// Each file the command wrote in `cwd` (guest_protocol.h), onto `out`.
bool bring_back(int out, const std::string& cwd, const std::set<std::string>& inputs) {
  for (const std::string& name : regular_files(cwd)) {
    if (inputs.count(name)) continue;
    const std::string content = read_file(cwd + "/" + name);
    if (!write_all(out, fmt::format("{}{} {}@@\n", kGuestFile, name, content.size())) ||
        !write_all(out, content))
      return false;
  }
  return true;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(std::size_t(n));
  }
  return true;
}

}  // namespace

bool is_guest_init(int argc, char** argv) {
  return getpid() == 1 && argc >= 1 && argv[0] && std::string_view(argv[0]) == kGuestInit;
}

void guest_main(const std::function<int(std::vector<std::string>)>& dispatch) {
  struct Mount {
    const char *source, *target, *type;
  };
  for (const Mount& m : {Mount{"proc", "/proc", "proc"}, Mount{"sysfs", "/sys", "sysfs"},
                         Mount{"devtmpfs", "/dev", "devtmpfs"}, Mount{"tmpfs", "/tmp", "tmpfs"}})
    if (mount(m.source, m.target, m.type, 0, nullptr) != 0 && errno != EBUSY)
      say(fmt::format("cannot mount {} on {}: {}", m.type, m.target, std::strerror(errno)));
  const int out = open_port("/dev/ttyS1"), err = open_port("/dev/ttyS2");
  if (out < 0 || err < 0) {
    say(fmt::format("cannot open the result ports /dev/ttyS1 and /dev/ttyS2: {}",
                    std::strerror(errno)));
    power_off();
  }
  std::vector<std::string> args;
  const std::string raw = read_file(std::string(kGuestArgs));
  for (std::size_t pos = 0; pos < raw.size();) {
    std::size_t end = raw.find('\0', pos);
    if (end == std::string::npos) end = raw.size();
    args.push_back(raw.substr(pos, end - pos));
    pos = end + 1;
  }
  // The command writes to files, not to the ports, so nothing in it takes
  // them for a terminal (progress lines); they are copied out at the end.
  const int in =
      open(access(std::string(kGuestStdin).c_str(), R_OK) == 0 ? std::string(kGuestStdin).c_str()
                                                               : "/dev/null",
           O_RDONLY);
  const int out_file = open("/tmp/stdout", O_RDWR | O_CREAT | O_TRUNC, 0600);
  const int err_file = open("/tmp/stderr", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out_file < 0 || err_file < 0) {
    say(fmt::format("cannot open the command's files: {}", std::strerror(errno)));
    power_off();
  }
  dup2(in, 0);
  dup2(out_file, 1);
  dup2(err_file, 2);
  const std::string cwd = read_file(std::string(kGuestCwd));
  if (chdir(cwd.c_str()) != 0) say(fmt::format("cannot enter {}: {}", cwd, std::strerror(errno)));
  const std::set<std::string> inputs = regular_files(cwd);  // the job's own

  int code = 70;
  try {
    code = dispatch(args);
  } catch (const std::exception& e) {
    std::cerr << "rmaplab (guest): " << e.what() << "\n";
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  bool ok = write_all(out, read_file("/tmp/stdout")) &&
            write_all(out, fmt::format("{}{}@@\n", kGuestTrailer, code));
  if (ok && access(std::string(kGuestBringBack).c_str(), F_OK) == 0)
    ok = bring_back(out, cwd, inputs);
  ok = ok && write_all(err, read_file("/tmp/stderr"));
  if (!ok) say(fmt::format("cannot write the result ports: {}", std::strerror(errno)));
  tcdrain(out);
  tcdrain(err);
  power_off();
}

}  // namespace rmaplab::vm
