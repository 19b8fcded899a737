// The host side of a guest run: the initramfs, QEMU, the channels back
// (include/rmaplab/vm.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "rmaplab/vm.h"
#include "vm/cpio.h"
#include "vm/guest_protocol.h"
#include "vm/subprocess.h"

namespace rmaplab::vm {
namespace fs = std::filesystem;
namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop(int sig) { g_stop = sig; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string find_in_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    std::size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    std::string candidate = fmt::format("{}/{}", dir, program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return "";
}

// The shared libraries this binary needs, as `ldd` lists them: the paths
// after "=>", and the dynamic loader's own line.
Result<std::vector<std::string>> libraries(const std::string& exe) {
  auto r = run_command({"ldd", exe});
  if (!r.ok()) return r.error();
  std::vector<std::string> libs;
  if (r->exit_code != 0) {
    if (r->out.find("not a dynamic executable") != std::string::npos) return libs;
    return Error{fmt::format("ldd {} failed: {}", exe, last_line(r->out))};
  }
  std::istringstream lines(r->out);
  for (std::string line; std::getline(lines, line);) {
    std::size_t arrow = line.find("=> ");
    std::size_t start = arrow != std::string::npos ? arrow + 3 : line.find_first_not_of(" \t");
    if (start == std::string::npos || start >= line.size() || line[start] != '/') continue;
    libs.push_back(line.substr(start, line.find(' ', start) - start));
  }
  return libs;
}

std::string temp_root() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

// Directories of runs that were killed outright (SIGKILL leaves no chance to
// clean up): rmaplab-guest-PID-* whose PID is gone.
void remove_stale_temp_dirs() {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(temp_root(), ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("rmaplab-guest-")) continue;
    const long pid = std::strtol(name.c_str() + 14, nullptr, 10);
    if (pid > 0 && pid != getpid() && kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      fs::remove_all(e.path(), ec);
  }
}

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  static Result<TempDir> create() {
    remove_stale_temp_dirs();
    std::string templ = fmt::format("{}/rmaplab-guest-{}-XXXXXX", temp_root(), getpid());
    if (!mkdtemp(templ.data()))
      return Error{
          fmt::format("cannot create a temporary directory {}: {}", templ, std::strerror(errno))};
    return TempDir(templ);
  }
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// The binary without its debug information (a release build's is mostly
// that: 77 MB against 2 MB, too much for a 256 MB guest to unpack), or as
// it is where `strip` is missing.
std::string init_binary(const std::string& exe, const fs::path& dir) {
  const std::string stripped = (dir / "init").string();
  auto r = run_command({"strip", "--strip-debug", "-o", stripped, exe});
  std::string content = r.ok() && r->exit_code == 0 ? read_file(stripped) : "";
  std::error_code ec;
  fs::remove(stripped, ec);
  return content.empty() ? read_file(exe) : content;
}

Result<std::string> initramfs(const GuestJob& job, const fs::path& dir) {
  char exe_buf[4096];
  ssize_t n = readlink("/proc/self/exe", exe_buf, sizeof exe_buf - 1);
  if (n <= 0) return Error{fmt::format("cannot find this program: {}", std::strerror(errno))};
  const std::string exe(exe_buf, std::size_t(n));
  CpioWriter cpio;
  for (const char* d : {"/proc", "/sys", "/dev", "/tmp", "/job"}) cpio.directory(d);
  cpio.directory(job.cwd);
  cpio.file(kGuestInit, init_binary(exe, dir), 0755);
  auto libs = libraries(exe);
  if (!libs.ok()) return libs.error();
  for (const std::string& lib : *libs) {
    std::string content = read_file(lib);
    if (content.empty()) return Error{fmt::format("cannot read {}, which {} needs", lib, exe)};
    cpio.file(lib, content, 0755);
  }
  std::string args;
  for (const std::string& a : job.args) args += a + '\0';
  cpio.file(kGuestArgs, args);
  cpio.file(kGuestCwd, job.cwd);
  if (job.stdin_content) cpio.file(kGuestStdin, *job.stdin_content);
  if (job.bring_back) cpio.file(kGuestBringBack, "");
  for (const auto& [path, content] : job.files) {
    if (path.ends_with('/'))
      cpio.directory(path.substr(0, path.size() - 1));
    else
      cpio.file(path, content);
  }
  return cpio.finish();
}

// The files after the trailer (guest_protocol.h): from `rest`, which starts
// at the trailer's closing "@@".
std::map<std::string, std::string> brought_back(std::string_view rest) {
  std::map<std::string, std::string> files;
  for (std::size_t at = rest.find(kGuestFile); at != std::string_view::npos;
       at = rest.find(kGuestFile, at)) {
    const std::size_t header = at + kGuestFile.size();
    const std::size_t close = rest.find("@@\n", header);
    if (close == std::string_view::npos) break;
    const std::string_view fields = rest.substr(header, close - header);
    const std::size_t space = fields.rfind(' ');
    if (space == std::string_view::npos) break;
    const std::size_t size =
        std::strtoull(std::string(fields.substr(space + 1)).c_str(), nullptr, 10);
    const std::size_t body = close + 3;
    if (body + size > rest.size()) break;  // cut short: the guest did not finish writing it
    files[std::string(fields.substr(0, space))] = std::string(rest.substr(body, size));
    at = body + size;
  }
  return files;
}

bool kvm_usable() {
  if (access("/dev/kvm", R_OK | W_OK) != 0) return false;
  const std::string cpuinfo = read_file("/proc/cpuinfo");
  return cpuinfo.find(" vmx") != std::string::npos || cpuinfo.find(" svm") != std::string::npos;
}

double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

std::string console_tail(std::string_view console, std::size_t lines) {
  std::size_t pos = console.size();
  while (pos > 0 && (console[pos - 1] == '\n' || console[pos - 1] == '\r')) --pos;
  std::size_t start = pos;
  for (std::size_t k = 0; k < lines && start > 0; ++k) {
    std::size_t nl = console.rfind('\n', start - 1);
    start = nl == std::string_view::npos ? 0 : nl;
    if (start == 0) break;
  }
  std::string out;
  std::string_view tail = console.substr(start, pos - start);
  std::size_t p = 0;
  while (p < tail.size()) {
    std::size_t e = tail.find('\n', p);
    if (e == std::string_view::npos) e = tail.size();
    std::string_view line = tail.substr(p, e - p);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty()) out += fmt::format("\n  | {}", line);
    p = e + 1;
  }
  return out.empty() ? " (the console is empty)" : out;
}

}  // namespace

Result<GuestResult> run_guest(const GuestJob& job) {
  const std::string qemu = find_in_path("qemu-system-x86_64");
  if (qemu.empty())
    return Error{
        "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86, or "
        "scripts/install-deps)"};
  if (access(job.image.c_str(), R_OK) != 0)
    return Error{
        fmt::format("cannot read the kernel image {}: {}", job.image, std::strerror(errno))};
  auto tmp = TempDir::create();
  if (!tmp.ok()) return tmp.error();
  const fs::path dir = tmp->path();
  {
    auto archive = initramfs(job, dir);
    if (!archive.ok()) return archive.error();
    std::ofstream out(dir / "initramfs.cpio", std::ios::binary);
    out << *archive;
    out.close();
    if (!out) return Error{fmt::format("cannot write {}/initramfs.cpio", dir.string())};
  }
  GuestResult result;
  result.accel = kvm_usable() ? "kvm" : "tcg";
  const std::string memory = std::to_string(job.memory_mb);
  auto chardev = [&](const char* id, const char* file) {
    return fmt::format("file,id={},path={}", id, (dir / file).string());
  };
  const std::vector<std::string> argv = {qemu,
                                         "-accel",
                                         result.accel,
                                         "-cpu",
                                         result.accel == "kvm" ? "host" : "max",
                                         "-m",
                                         memory,
                                         "-smp",
                                         "1",
                                         "-nodefaults",
                                         "-no-user-config",
                                         "-display",
                                         "none",
                                         "-nic",
                                         "none",
                                         "-no-reboot",
                                         "-monitor",
                                         "none",
                                         "-kernel",
                                         job.image,
                                         "-initrd",
                                         (dir / "initramfs.cpio").string(),
                                         "-append",
                                         std::string(kGuestCommandLine),
                                         "-chardev",
                                         chardev("console", "console"),
                                         "-serial",
                                         "chardev:console",
                                         "-chardev",
                                         chardev("out", "out"),
                                         "-serial",
                                         "chardev:out",
                                         "-chardev",
                                         chardev("err", "err"),
                                         "-serial",
                                         "chardev:err"};

  // Stop signals end QEMU's whole group, then are re-raised.
  struct sigaction act = {}, old_int = {}, old_term = {}, old_hup = {};
  act.sa_handler = on_stop;
  sigemptyset(&act.sa_mask);
  sigaction(SIGINT, &act, &old_int);
  sigaction(SIGTERM, &act, &old_term);
  sigaction(SIGHUP, &act, &old_hup);
  g_stop = 0;
  const std::string qemu_log = (dir / "qemu.log").string();
  const double start = now_seconds();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the tool gone, QEMU goes too
    if (getppid() != parent) _exit(127);
    int log = open(qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null = open("/dev/null", O_RDWR);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    if (null >= 0) dup2(null, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
  };
  if (pid < 0) {
    restore();
    return Error{fmt::format("cannot start QEMU: {}", std::strerror(errno))};
  }
  setpgid(pid, pid);
  int status = 0;
  bool timed_out = false;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (g_stop || now_seconds() - start > job.timeout_s) {
      timed_out = !g_stop;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    usleep(5000);
  }
  result.seconds = now_seconds() - start;
  restore();
  if (int sig = g_stop) {
    g_stop = 0;
    fs::remove_all(dir);
    raise(sig);
    return Error{fmt::format("interrupted by SIG{}", sigabbrev_np(sig))};
  }

  result.console = read_file(dir / "console");
  result.err = read_file(dir / "err");
  const std::string out = read_file(dir / "out");
  const std::size_t trailer = out.rfind(kGuestTrailer);
  bool have_trailer = false;
  if (trailer != std::string::npos) {
    result.out = out.substr(0, trailer);
    const char* p = out.c_str() + trailer + kGuestTrailer.size();
    char* end = nullptr;
    long code = std::strtol(p, &end, 10);
    have_trailer = end != p && std::string_view(end).starts_with("@@");
    result.exit_code = int(code);
    if (have_trailer) result.files = brought_back(std::string_view(end));
  } else {
    result.out = out;
  }
  if (timed_out)
    result.failure = fmt::format("the guest did not finish within {} s; the console ends:{}",
                                 job.timeout_s, console_tail(result.console, 15));
  else if (std::string f = console_failure(result.console); !f.empty())
    result.failure = f;
  else if (!have_trailer) {
    const std::string log = read_file(qemu_log);
    result.failure =
        WIFEXITED(status) && WEXITSTATUS(status) != 0
            ? fmt::format("QEMU exited with {}: {}", WEXITSTATUS(status), last_line(log))
            : fmt::format("the guest ended without its result; the console ends:{}",
                          console_tail(result.console, 15));
  }
  return result;
}

Status add_script_files(std::span<const std::string> paths, GuestJob* job) {
  auto add = [&](const fs::path& host) -> Status {
    std::ifstream in(host, std::ios::binary);
    if (!in) return Error{fmt::format("cannot read {}", host.string())};
    std::stringstream ss;
    ss << in.rdbuf();
    const fs::path guest = (fs::path(job->cwd) / host).lexically_normal();
    job->files[guest.string()] = ss.str();
    return ok_status();
  };
  for (const std::string& p : paths) {
    if (p == "-") {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      job->stdin_content = ss.str();
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      const fs::path guest_dir = (fs::path(job->cwd) / p).lexically_normal();
      job->files.emplace(guest_dir.string() + "/", "");  // a directory, even with no script
      for (const fs::directory_entry& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".rml" && e.is_regular_file())
          if (Status s = add(e.path()); !s.ok()) return s;
      if (ec) return Error{fmt::format("cannot list {}: {}", p, ec.message())};
      continue;
    }
    if (Status s = add(p); !s.ok()) return s;
  }
  return ok_status();
}

}  // namespace rmaplab::vm
