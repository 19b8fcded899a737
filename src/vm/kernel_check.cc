// What `rmaplab verify --kernel` needs of a kernel's configuration.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "rmaplab/vm.h"

namespace rmaplab::vm {
namespace fs = std::filesystem;
namespace {

constexpr ConfigNeed kNeeds[] = {
    {"CONFIG_64BIT", "the runner and its helper are x86_64 programs"},
    {"CONFIG_BLK_DEV_INITRD", "the guest's root is the initramfs rmaplab writes"},
    {"CONFIG_BINFMT_ELF", "/init is the rmaplab binary"},
    {"CONFIG_DEVTMPFS", "the guest's /dev (its serial ports)"},
    {"CONFIG_SERIAL_8250", "the console and the result channels are 8250 serial ports"},
    {"CONFIG_SERIAL_8250_CONSOLE", "the console on ttyS0"},
    {"CONFIG_PROC_FS", "/proc/kallsyms, /proc/PID/maps"},
    {"CONFIG_SYSFS", "/sys/kernel/tracing"},
    {"CONFIG_KALLSYMS", "call sites resolved in the guest (KASLR)"},
    {"CONFIG_EVENT_TRACING", "the kmem:kmem_cache_alloc/free trace events"},
    {"CONFIG_TRACING", "tracefs instances"},
    {"CONFIG_PROC_PAGE_MONITOR", "/proc/PID/pagemap and /proc/kpagecount (page comparison)"},
    {"CONFIG_MEMFD_CREATE", "the helper program runs from a memfd"},
    {"CONFIG_UNIX", "helpers talk to the runner over socket pairs"},
    {"CONFIG_SLUB", "the slab allocator whose caches the trace names"},
    {"CONFIG_PVH", "booting an uncompressed vmlinux directly (faster)", false},
    {"CONFIG_DEBUG_INFO_BTF", "verify --objects: the BPF object reader reads the kernel's types",
     false},
    {"CONFIG_BPF_SYSCALL", "verify --objects: the BPF object reader and root lock counts", false},
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string config_beside(const std::string& image) {
  const fs::path p(image);
  const std::string name = p.filename().string();
  std::error_code ec;
  if (name.starts_with("vmlinuz-")) {
    fs::path c = p.parent_path() / ("config-" + name.substr(8));
    if (fs::exists(c, ec)) return c.string();
  }
  fs::path c = p.parent_path() / "config";
  if (fs::exists(c, ec)) return c.string();
  return "";
}

}  // namespace

std::span<const ConfigNeed> config_needs() { return kNeeds; }

void check_config_text(std::string_view text, KernelCheck* out) {
  std::set<std::string, std::less<>> set;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    auto eq = line.find('=');
    if (line.starts_with("CONFIG_") && eq != std::string_view::npos) {
      std::string_view value = line.substr(eq + 1);
      if (value == "y" || value == "m") set.emplace(line.substr(0, eq));
    }
  }
  for (const ConfigNeed& n : kNeeds)
    if (!set.contains(n.option)) (n.required ? out->missing : out->missing_optional).push_back(&n);
}

Result<KernelCheck> check_kernel(const std::string& image, const std::string& config) {
  std::error_code ec;
  if (!fs::is_regular_file(image, ec)) return Error{fmt::format("{} is not a file", image)};
  KernelCheck c;
  c.image = image;
  auto v = image_version(image);
  if (!v.ok()) return v.error();
  c.version = *v;
  c.config = config.empty() ? config_beside(image) : config;
  if (c.config.empty())
    return Error{fmt::format(
        "no config file beside {} (config-VERSION or config): pass the kernel's config with "
        "--config FILE",
        image)};
  if (!fs::is_regular_file(c.config, ec)) return Error{fmt::format("{} is not a file", c.config)};
  check_config_text(read_file(c.config), &c);
  return c;
}

}  // namespace rmaplab::vm
