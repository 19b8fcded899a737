// What the host and the guest's /init agree on: the initramfs's job files,
// the kernel command line, the trailer that ends the guest's stdout.
#pragma once

#include <string_view>

namespace rmaplab::vm {

inline constexpr std::string_view kGuestInit = "/init";
inline constexpr std::string_view kGuestArgs = "/job/args";    // NUL-terminated arguments
inline constexpr std::string_view kGuestCwd = "/job/cwd";      // the working directory
inline constexpr std::string_view kGuestStdin = "/job/stdin";  // standard input, if any

// Serial ports: ttyS0 the console, ttyS1 the command's stdout, ttyS2 its
// stderr. slab_nomerge: anon_vma_chain keeps a cache of its own; loglevel=5
// keeps KERN_WARNING (WARNING splats) on the console, not the boot chatter;
// panic=-1 with QEMU's -no-reboot: a panic ends QEMU at once.
inline constexpr std::string_view kGuestCommandLine =
    "console=ttyS0 loglevel=5 panic=-1 oops=panic slab_nomerge rdinit=/init init=/init";

// "\n@@rmaplab-guest-exit N@@\n" follows the command's stdout.
inline constexpr std::string_view kGuestTrailer = "\n@@rmaplab-guest-exit ";

// With /job/bring-back present, each regular file the command left directly
// in its working directory that the job did not bring follows the trailer
// as "@@rmaplab-guest-file NAME SIZE@@\n" and SIZE bytes.
inline constexpr std::string_view kGuestBringBack = "/job/bring-back";
inline constexpr std::string_view kGuestFile = "@@rmaplab-guest-file ";

}  // namespace rmaplab::vm
