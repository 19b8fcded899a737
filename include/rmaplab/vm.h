// Other kernels: Debian kernel images fetched at run time, checked for what
// verify needs, and booted under QEMU with the rmaplab binary itself as the
// guest's /init (src/vm; doc/kernels.md).
//
//   kernels    known_kernels(), cached_kernels(), fetch_kernel(): a Debian
//              linux-image package downloaded with apt-get through a private
//              apt configuration in the cache directory (the machine's own
//              sources are not touched), unpacked with dpkg-deb, only the
//              image and its config file kept
//   check      check_kernel(): the config options verify needs, and which
//              the image's config file lacks
//   guest      run_guest(): an initramfs written here (newc cpio: this
//              binary as /init, the libraries ldd lists, the job's files),
//              QEMU in its own process group (killed with the tool), the
//              console and the guest's stdout and stderr on three serial
//              ports, temporary files unlinked; a panic, oops, BUG or
//              WARNING in the console, a guest that ends without its result
//              trailer, or a timeout is a failure with a console excerpt
//   guest side is_guest_init(), guest_main(): PID 1 in the guest mounts
//              /proc, /sys and /dev, runs the job's command line through the
//              same CLI, writes the trailer with its exit code, powers off
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab::vm {

// A kernel `rmaplab kernels fetch NAME` knows how to get.
struct KnownKernel {
  std::string_view name;     // "debian-6.12"
  std::string_view suite;    // the Debian suite whose registry serves it
  std::string_view package;  // the metapackage that names the image package
  std::string_view about;
};
std::span<const KnownKernel> known_kernels();
const KnownKernel* find_known_kernel(std::string_view name);

// $RMAPLAB_KERNELS, else $XDG_CACHE_HOME/rmaplab/kernels, else
// $HOME/.cache/rmaplab/kernels.
std::string default_cache_dir();

// A kernel in the cache: DIR/NAME/{vmlinuz,config,package}.
struct CachedKernel {
  std::string name;     // "debian-6.12"
  std::string package;  // "linux-image-6.12.117+deb13-cloud-amd64 6.12.117-1"
  std::string image;    // DIR/NAME/vmlinuz
  std::string config;   // DIR/NAME/config ("" if the package had none)
};
std::vector<CachedKernel> cached_kernels(const std::string& dir);
std::optional<CachedKernel> cached_kernel(const std::string& dir, std::string_view name);

// Downloads and unpacks the kernel (again, if it is cached). `log` receives
// one line per step. Errors: an unknown name, apt-get or dpkg-deb missing or
// failing (their last line of output quoted), a package without an image.
Result<CachedKernel> fetch_kernel(std::string_view name, const std::string& dir,
                                  const std::function<void(const std::string&)>& log);

// The image version the registry offers now for a known kernel: the image
// package's name and version ("linux-image-... 6.12.117-1"). Updates the
// private package lists first.
Result<std::string> registry_offer(const KnownKernel& kernel, const std::string& dir);

// IMAGE|NAME: an existing file is an image; a known name is looked up in the
// cache and fetched if absent (fetch: whether that may happen).
struct ResolvedKernel {
  std::string image;
  std::string config;  // "" when not known
};
Result<ResolvedKernel> resolve_kernel(const std::string& image_or_name, const std::string& dir,
                                      bool fetch,
                                      const std::function<void(const std::string&)>& log);

// The version string a bzImage carries in its setup header ("6.12.117+deb13-
// cloud-amd64 (debian-kernel@...) #1 SMP ..."), or an error saying why there
// is none.
Result<std::string> image_version(const std::string& image);

// --- what verify needs of a kernel ---

struct ConfigNeed {
  std::string_view option;  // "CONFIG_DEVTMPFS"
  std::string_view why;     // "the guest's /dev (the serial ports)"
  bool required = true;     // false: only faster or later work needs it
};
std::span<const ConfigNeed> config_needs();

struct KernelCheck {
  std::string image, config, version;
  std::vector<const ConfigNeed*> missing;  // required and absent
  std::vector<const ConfigNeed*> missing_optional;
  bool ok() const { return missing.empty(); }
};
// `config`: the kernel's config file; "" looks beside the image (config-VER
// for vmlinuz-VER, or config in the same directory).
Result<KernelCheck> check_kernel(const std::string& image, const std::string& config);
// Config text (KEY=VALUE lines) against config_needs(); pure, for tests.
void check_config_text(std::string_view text, KernelCheck* out);

// --- the guest ---

struct GuestJob {
  std::string image;
  std::vector<std::string> args;  // the guest's command line after "rmaplab"
  std::map<std::string, std::string>
      files;  // guest path (absolute) -> content; "DIR/": a directory
  std::optional<std::string> stdin_content;  // the guest's standard input
  std::string cwd = "/w";                    // the guest's working directory
  int memory_mb = 256;
  int timeout_s = 600;
  // Bring back the files the command writes in cwd (GuestResult::files).
  bool bring_back = false;
};

struct GuestResult {
  int exit_code = 0;    // the guest command's, when failure is empty
  std::string out;      // the guest's stdout, as written
  std::string err;      // its stderr
  std::string console;  // the guest kernel's console
  std::string failure;  // "" or one sentence: what went wrong, with a console excerpt
  std::string accel;    // "tcg" or "kvm"
  double seconds = 0;   // QEMU's wall time
  // With GuestJob::bring_back: name (in cwd) -> content of each file the
  // command wrote there.
  std::map<std::string, std::string> files;
};

// Boots the job. An error: QEMU missing or not starting, files that cannot
// be written. A guest that misbehaves is a GuestResult with `failure`.
Result<GuestResult> run_guest(const GuestJob& job);

// The files of a verify run in the guest: each script path (a directory:
// every *.rml directly in it) at the path it resolves to from job.cwd, so
// the guest names them as the host does; "-" becomes the guest's stdin.
Status add_script_files(std::span<const std::string> paths, GuestJob* job);

// The first sign of a kernel failure in a console log (a panic, an oops, a
// BUG, a WARNING, a general protection fault), as one line saying which,
// followed by an excerpt of the lines around it; "" if there is none.
std::string console_failure(std::string_view console);

// --- inside the guest ---

// Whether this process is the guest's init (PID 1, started as /init).
bool is_guest_init(int argc, char** argv);
// Runs the job the initramfs holds through `dispatch` (the CLI's main on an
// argv), writes the trailer, powers the guest off. Does not return.
[[noreturn]] void guest_main(const std::function<int(std::vector<std::string>)>& dispatch);

}  // namespace rmaplab::vm
