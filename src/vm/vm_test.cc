// The pure parts of src/vm: the initramfs archive, the console reader, the
// config check, the image's version string, where scripts go in the guest.
#include <sys/stat.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "rmaplab/vm.h"
#include "vm/cpio.h"

namespace rmaplab::vm {
namespace {

struct Entry {
  std::string name;
  std::uint32_t mode = 0;
  std::string content;
};

// A reader written from the newc format's description, to read back what
// CpioWriter wrote.
std::vector<Entry> read_newc(const std::string& a) {
  std::vector<Entry> out;
  std::size_t pos = 0;
  auto field = [&](int i) {
    return std::uint32_t(std::stoul(a.substr(pos + 6 + std::size_t(i) * 8, 8), nullptr, 16));
  };
  while (pos + 110 <= a.size()) {
    EXPECT_EQ(a.substr(pos, 6), "070701");
    Entry e;
    e.mode = field(1);
    const std::uint32_t size = field(6), namesize = field(11);
    e.name = a.substr(pos + 110, namesize - 1);
    std::size_t data = (pos + 110 + namesize + 3) & ~std::size_t(3);
    e.content = a.substr(data, size);
    pos = (data + size + 3) & ~std::size_t(3);
    if (e.name == "TRAILER!!!") {
      EXPECT_EQ(pos, a.size());
      return out;
    }
    out.push_back(std::move(e));
  }
  ADD_FAILURE() << "no trailer";
  return out;
}

TEST(Cpio, FilesComeAfterTheirParentDirectoriesEachDirectoryOnce) {
  CpioWriter w;
  w.file("/lib/x86_64-linux-gnu/libc.so.6", "ELF...", 0755);
  w.file("/lib/x86_64-linux-gnu/libm.so.6", "m");
  w.directory("/proc");
  const auto entries = read_newc(w.finish());
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].name, "lib");
  EXPECT_EQ(entries[0].mode, S_IFDIR | 0755u);
  EXPECT_EQ(entries[1].name, "lib/x86_64-linux-gnu");
  EXPECT_EQ(entries[2].name, "lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(entries[2].mode, S_IFREG | 0755u);
  EXPECT_EQ(entries[2].content, "ELF...");
  EXPECT_EQ(entries[3].content, "m");
  EXPECT_EQ(entries[3].mode, S_IFREG | 0644u);
  EXPECT_EQ(entries[4].name, "proc");
}

TEST(Cpio, ContentOfEveryLengthIsPaddedToFourBytes) {
  CpioWriter w;
  for (int n = 0; n < 9; ++n) w.file("/f" + std::to_string(n), std::string(std::size_t(n), 'x'));
  const std::string a = w.finish();
  EXPECT_EQ(a.size() % 4, 0u);
  const auto entries = read_newc(a);
  ASSERT_EQ(entries.size(), 9u);
  for (int n = 0; n < 9; ++n) EXPECT_EQ(entries[std::size_t(n)].content.size(), std::size_t(n));
}

TEST(Console, ACleanBootIsNoFailure) {
  EXPECT_EQ(console_failure("[    0.000000] Linux version 6.12.117\n"
                            "[    1.200000] Run /init as init process\n"),
            "");
}

TEST(Console, AWarningIsAFailureWithTheLinesAroundIt) {
  const std::string f = console_failure(
      "[    1.0] boot\r\n[    2.0] ------------[ cut here ]------------\r\n"
      "[    2.0] WARNING: CPU: 0 PID: 1 at mm/rmap.c:123 anon_vma_fork+0x1/0x2\r\n"
      "[    2.0] Modules linked in:\r\n");
  EXPECT_NE(f.find("a kernel WARNING (console line 3)"), std::string::npos) << f;
  EXPECT_NE(f.find("  | [    2.0] ------------[ cut here ]"), std::string::npos) << f;
  EXPECT_NE(f.find("  | [    2.0] Modules linked in:"), std::string::npos) << f;
  EXPECT_EQ(f.find('\r'), std::string::npos);
}

TEST(Console, APanicIsNamedAsOne) {
  const std::string f =
      console_failure("[ 3.1] Kernel panic - not syncing: Attempted to kill init!\n");
  EXPECT_TRUE(f.starts_with("the guest's console shows a kernel panic")) << f;
}

TEST(Config, RequiredOptionsThatAreAbsentOrUnsetAreMissing) {
  KernelCheck c;
  std::string text;
  for (const ConfigNeed& n : config_needs())
    if (n.option != "CONFIG_DEVTMPFS" && n.option != "CONFIG_PVH")
      text += std::string(n.option) + "=y\n";
  text += "# CONFIG_DEVTMPFS is not set\n";
  check_config_text(text, &c);
  ASSERT_EQ(c.missing.size(), 1u);
  EXPECT_EQ(c.missing[0]->option, "CONFIG_DEVTMPFS");
  ASSERT_EQ(c.missing_optional.size(), 1u);
  EXPECT_EQ(c.missing_optional[0]->option, "CONFIG_PVH");
  EXPECT_FALSE(c.ok());
}

TEST(Config, AModuleCounts) {
  KernelCheck c;
  std::string text;
  for (const ConfigNeed& n : config_needs()) text += std::string(n.option) + "=m\n";
  check_config_text(text, &c);
  EXPECT_TRUE(c.ok());
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto p = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(Image, TheVersionComesFromTheSetupHeader) {
  std::string image(0x1000, '\0');
  image.replace(0x202, 4, "HdrS");
  image[0x20e] = 0x00;  // the string at 0x200 + 0x300
  image[0x20f] = 0x03;
  const std::string v = "6.12.117+deb13-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP";
  image.replace(0x500, v.size(), v);
  const auto p = temp_file("rmaplab-image-", image);
  auto r = image_version(p.string());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, v);
  std::filesystem::remove(p);
}

TEST(Image, AFileWithoutASetupHeaderIsNotAnImage) {
  const auto p = temp_file("rmaplab-notimage-", std::string(0x400, 'x'));
  auto r = image_version(p.string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not an x86 bzImage"), std::string::npos);
  std::filesystem::remove(p);
}

TEST(Guest, ScriptsKeepTheNamesTheHostGivesThem) {
  const auto p = temp_file("rmaplab-script-", "spawn P\n");
  GuestJob job;
  const std::vector<std::string> paths = {p.string()};
  ASSERT_TRUE(add_script_files(paths, &job).ok());
  ASSERT_EQ(job.files.size(), 1u);
  EXPECT_EQ(job.files.begin()->first, p.string());  // absolute: as it is
  EXPECT_EQ(job.files.begin()->second, "spawn P\n");
  std::filesystem::remove(p);
}

TEST(Guest, AMissingScriptIsAnError) {
  GuestJob job;
  const std::vector<std::string> paths = {"no/such/script.rml"};
  auto s = add_script_files(paths, &job);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "cannot read no/such/script.rml");
}

TEST(Kernels, TheKnownNamesAreTheDebianKernelsOfTheIssue) {
  ASSERT_NE(find_known_kernel("debian-6.12"), nullptr);
  EXPECT_EQ(find_known_kernel("debian-6.12")->suite, "trixie");
  EXPECT_EQ(find_known_kernel("debian-6.1")->suite, "bookworm");
  EXPECT_EQ(find_known_kernel("debian-7.3")->suite, "trixie-backports");
  EXPECT_EQ(find_known_kernel("debian-9.9"), nullptr);
}

TEST(Kernels, TheCacheDirectoryFollowsTheEnvironment) {
  ::setenv("RMAPLAB_KERNELS", "/somewhere/kernels", 1);
  EXPECT_EQ(default_cache_dir(), "/somewhere/kernels");
  ::unsetenv("RMAPLAB_KERNELS");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(default_cache_dir(), "/xdg/rmaplab/kernels");
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace rmaplab::vm
