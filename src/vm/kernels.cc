// Debian kernel images: the known names, the cache, fetching through a
// private apt configuration (include/rmaplab/vm.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rmaplab/vm.h"
#include "vm/subprocess.h"

namespace rmaplab::vm {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMirror = "http://deb.debian.org/debian";
constexpr std::string_view kKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

constexpr KnownKernel kKnown[] = {
    {"debian-6.1", "bookworm", "linux-image-cloud-amd64", "Debian 12 (bookworm), Linux 6.1 LTS"},
    {"debian-6.12", "trixie", "linux-image-cloud-amd64", "Debian 13 (trixie), Linux 6.12 LTS"},
    {"debian-7.3", "trixie-backports", "linux-image-cloud-amd64", "Debian 13 backports, Linux 7.3"},
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return Error{fmt::format("cannot write {}", path.string())};
  return ok_status();
}

// The private apt configuration of one suite: DIR/.apt/SUITE.
class AptConfig {
 public:
  AptConfig(const std::string& dir, std::string_view suite)
      : root_(fs::path(dir) / ".apt" / std::string(suite)), suite_(suite) {}

  Status prepare() const {
    std::error_code ec;
    for (const char* sub : {"etc/sources.list.d", "etc/preferences.d", "etc/apt.conf.d",
                            "lists/partial", "cache/archives/partial", "state"})
      fs::create_directories(root_ / sub, ec);
    if (ec) return Error{fmt::format("cannot create {}: {}", root_.string(), ec.message())};
    if (Status s =
            write_file(root_ / "etc/sources.list",
                       fmt::format("deb [signed-by={}] {} {} main\n", kKeyring, kMirror, suite_));
        !s.ok())
      return s;
    if (!fs::exists(root_ / "state/status"))
      if (Status s = write_file(root_ / "state/status", ""); !s.ok()) return s;
    return ok_status();
  }

  std::vector<std::string> command(std::string_view program,
                                   std::initializer_list<std::string_view> rest) const {
    const std::string r = root_.string();
    std::vector<std::string> argv = {std::string(program),
                                     "-o",
                                     "Dir::Etc=" + r + "/etc",
                                     "-o",
                                     "Dir::State=" + r + "/state",
                                     "-o",
                                     "Dir::State::Lists=" + r + "/lists",
                                     "-o",
                                     "Dir::State::status=" + r + "/state/status",
                                     "-o",
                                     "Dir::Cache=" + r + "/cache",
                                     "-o",
                                     "APT::Architecture=amd64",
                                     "-o",
                                     "Debug::NoLocking=1",
                                     "-o",
                                     "APT::Sandbox::User=root",
                                     "-q"};
    for (std::string_view a : rest) argv.emplace_back(a);
    return argv;
  }

 private:
  fs::path root_;
  std::string suite_;
};

Result<std::string> run_ok(const std::vector<std::string>& argv, const std::string& what,
                           const std::string& cwd = "") {
  auto r = run_command(argv, cwd);
  if (!r.ok()) return r.error();
  if (r->exit_code != 0)
    return Error{fmt::format("{} failed ({} exited with {}: {})", what, argv[0], r->exit_code,
                             last_line(r->out))};
  return std::move(r->out);
}

// The image package the metapackage depends on, and its version.
Result<std::pair<std::string, std::string>> image_package(const KnownKernel& k,
                                                          const AptConfig& apt) {
  auto deps = run_ok(apt.command("apt-cache", {"depends", k.package}),
                     fmt::format("looking up {} in {}", k.package, k.suite));
  if (!deps.ok()) return deps.error();
  std::string pkg;
  std::istringstream lines(*deps);
  for (std::string line; std::getline(lines, line);) {
    auto at = line.find("Depends: linux-image-");
    if (at == std::string::npos) continue;
    pkg = line.substr(at + 9);
    break;
  }
  if (pkg.empty())
    return Error{fmt::format("{} in {} names no linux-image package", k.package, k.suite)};
  auto show = run_ok(apt.command("apt-cache", {"show", "--no-all-versions", pkg}),
                     fmt::format("looking up {}", pkg));
  if (!show.ok()) return show.error();
  std::string version;
  std::istringstream fields(*show);
  for (std::string line; std::getline(fields, line);)
    if (line.starts_with("Version: ")) {
      version = line.substr(9);
      break;
    }
  return std::pair{pkg, version};
}

// The packages beside the image package that hold the image and its config
// on newer Debian kernels (7.x: linux-binary-VER has the vmlinuz,
// linux-base-VER the config); none on 6.1 and 6.12.
Result<std::vector<std::string>> split_packages(const std::string& image_pkg,
                                                const AptConfig& apt) {
  auto deps = run_ok(apt.command("apt-cache", {"depends", image_pkg}),
                     fmt::format("looking up {}", image_pkg));
  if (!deps.ok()) return deps.error();
  const std::string suffix = image_pkg.substr(std::string_view("linux-image-").size());
  std::vector<std::string> out;
  std::istringstream lines(*deps);
  for (std::string line; std::getline(lines, line);) {
    auto at = line.find("Depends: ");
    if (at == std::string::npos) continue;
    const std::string dep = line.substr(at + 9);
    for (std::string_view prefix : {"linux-binary-", "linux-base-"})
      if (dep == std::string(prefix) + suffix) out.push_back(dep);
  }
  return out;
}

// The image and config in an unpacked package: boot/vmlinuz-VER and
// boot/config-VER (bookworm), or usr/lib/modules/VER/{vmlinuz,config}.
std::pair<fs::path, fs::path> find_image(const fs::path& root) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root / "boot", ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("vmlinuz-")) {
      fs::path config = root / "boot" / ("config-" + name.substr(8));
      return {e.path(), fs::exists(config) ? config : fs::path()};
    }
  }
  for (const fs::directory_entry& e : fs::directory_iterator(root / "usr/lib/modules", ec))
    if (fs::exists(e.path() / "vmlinuz"))
      return {e.path() / "vmlinuz",
              fs::exists(e.path() / "config") ? e.path() / "config" : fs::path()};
  return {};
}

}  // namespace

std::span<const KnownKernel> known_kernels() { return kKnown; }

const KnownKernel* find_known_kernel(std::string_view name) {
  for (const KnownKernel& k : kKnown)
    if (k.name == name) return &k;
  return nullptr;
}

std::string default_cache_dir() {
  if (const char* d = std::getenv("RMAPLAB_KERNELS"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (fs::path(x) / "rmaplab/kernels").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : "/root") / ".cache/rmaplab/kernels").string();
}

std::optional<CachedKernel> cached_kernel(const std::string& dir, std::string_view name) {
  const fs::path d = fs::path(dir) / std::string(name);
  if (!fs::exists(d / "vmlinuz")) return std::nullopt;
  CachedKernel k;
  k.name = std::string(name);
  k.image = (d / "vmlinuz").string();
  if (fs::exists(d / "config")) k.config = (d / "config").string();
  k.package = read_file(d / "package");
  while (!k.package.empty() && k.package.back() == '\n') k.package.pop_back();
  return k;
}

std::vector<CachedKernel> cached_kernels(const std::string& dir) {
  std::vector<CachedKernel> out;
  for (const KnownKernel& k : kKnown)
    if (auto c = cached_kernel(dir, k.name)) out.push_back(std::move(*c));
  return out;
}

Result<std::string> registry_offer(const KnownKernel& kernel, const std::string& dir) {
  AptConfig apt(dir, kernel.suite);
  if (Status s = apt.prepare(); !s.ok()) return s.error();
  if (auto u = run_ok(apt.command("apt-get", {"update"}),
                      fmt::format("updating the package lists of {}", kernel.suite));
      !u.ok())
    return u.error();
  auto pkg = image_package(kernel, apt);
  if (!pkg.ok()) return pkg.error();
  return pkg->first + " " + pkg->second;
}

Result<CachedKernel> fetch_kernel(std::string_view name, const std::string& dir,
                                  const std::function<void(const std::string&)>& log) {
  const KnownKernel* k = find_known_kernel(name);
  if (!k) {
    std::string names;
    for (const KnownKernel& known : kKnown)
      names += fmt::format("{}{}", names.empty() ? "" : ", ", known.name);
    return Error{fmt::format("unknown kernel '{}' (known: {})", name, names)};
  }
  AptConfig apt(dir, k->suite);
  if (Status s = apt.prepare(); !s.ok()) return s.error();
  log(fmt::format("updating the package lists of {} ({})", k->suite, kMirror));
  if (auto u = run_ok(apt.command("apt-get", {"update"}),
                      fmt::format("updating the package lists of {}", k->suite));
      !u.ok())
    return u.error();
  auto pkg = image_package(*k, apt);
  if (!pkg.ok()) return pkg.error();

  const fs::path tmp = fs::path(dir) / fmt::format(".tmp-{}-{}", name, getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp / "x", ec);
  if (ec) return Error{fmt::format("cannot create {}: {}", tmp.string(), ec.message())};
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{tmp};

  auto split = split_packages(pkg->first, apt);
  if (!split.ok()) return split.error();
  std::vector<std::string> packages = {pkg->first};
  packages.insert(packages.end(), split->begin(), split->end());
  for (const std::string& p : packages) {
    log(fmt::format("downloading {} {}", p, pkg->second));
    if (auto d = run_ok(apt.command("apt-get", {"download", p}), fmt::format("downloading {}", p),
                        tmp.string());
        !d.ok())
      return d.error();
  }
  std::vector<fs::path> debs;
  for (const fs::directory_entry& e : fs::directory_iterator(tmp, ec))
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  if (debs.empty()) return Error{fmt::format("apt-get download left no .deb for {}", pkg->first)};
  for (const fs::path& deb : debs) {
    log(fmt::format("unpacking {}", deb.filename().string()));
    if (auto x = run_ok({"dpkg-deb", "-x", deb.string(), (tmp / "x").string()},
                        fmt::format("unpacking {}", deb.filename().string()));
        !x.ok())
      return x.error();
  }
  auto [image, config] = find_image(tmp / "x");
  if (image.empty())
    return Error{fmt::format("{} hold no boot/vmlinuz-* or usr/lib/modules/*/vmlinuz",
                             fmt::join(packages, ", "))};
  const fs::path out = tmp / "out";
  fs::create_directories(out, ec);
  fs::rename(image, out / "vmlinuz", ec);
  if (!ec && !config.empty()) fs::rename(config, out / "config", ec);
  if (ec)
    return Error{fmt::format("cannot move the image out of {}: {}", tmp.string(), ec.message())};
  if (Status s = write_file(out / "package", pkg->first + " " + pkg->second + "\n"); !s.ok())
    return s.error();
  const fs::path final_dir = fs::path(dir) / std::string(name);
  fs::remove_all(final_dir, ec);
  fs::rename(out, final_dir, ec);
  if (ec)
    return Error{
        fmt::format("cannot move the kernel into {}: {}", final_dir.string(), ec.message())};
  return *cached_kernel(dir, name);
}

Result<ResolvedKernel> resolve_kernel(const std::string& image_or_name, const std::string& dir,
                                      bool fetch,
                                      const std::function<void(const std::string&)>& log) {
  std::error_code ec;
  if (fs::is_regular_file(image_or_name, ec)) return ResolvedKernel{image_or_name, ""};
  if (!find_known_kernel(image_or_name))
    return Error{fmt::format(
        "'{}' is neither a kernel image file nor a kernel rmaplab can fetch (see 'rmaplab "
        "kernels list')",
        image_or_name)};
  if (auto c = cached_kernel(dir, image_or_name)) return ResolvedKernel{c->image, c->config};
  if (!fetch)
    return Error{fmt::format("{} is not in {} (run 'rmaplab kernels fetch {}')", image_or_name, dir,
                             image_or_name)};
  auto c = fetch_kernel(image_or_name, dir, log);
  if (!c.ok()) return Error{fmt::format("cannot fetch {}: {}", image_or_name, c.error().message)};
  return ResolvedKernel{c->image, c->config};
}

Result<std::string> image_version(const std::string& image) {
  const std::string data = read_file(image);
  // The x86 boot protocol's setup header: "HdrS" at 0x202, and at 0x20e the
  // offset (from 0x200) of the version string.
  if (data.size() < 0x210 || data.compare(0x202, 4, "HdrS") != 0)
    return Error{fmt::format("{} is not an x86 bzImage (no setup header)", image)};
  const std::size_t at =
      0x200 + (std::uint8_t(data[0x20e]) | std::size_t(std::uint8_t(data[0x20f])) << 8);
  if (at >= data.size()) return Error{fmt::format("{} has no version string", image)};
  const std::size_t end = data.find('\0', at);
  return data.substr(at, (end == std::string::npos ? data.size() : end) - at);
}

}  // namespace rmaplab::vm
