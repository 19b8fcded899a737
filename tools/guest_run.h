// What verify --kernel and fuzz --kernel share: boot a kernel under QEMU with
// this same command inside it, pass its output through, and turn what can go
// wrong on the way into one sentence and an exit code.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "rmaplab/report.h"
#include "rmaplab/vm.h"

namespace rmaplab::cli {

// Resolves `image_or_name` (an image path, or an `rmaplab kernels` name,
// fetched into `cache` if needed) into job.image (set for the caller) and
// boots the job. A guest
// that ran to its end: its stdout and stderr are passed through and the
// result returned; the caller says "guest: ..." with guest_line() when done.
// Otherwise the exit code to end with, the reason already said ("rmaplab
// COMMAND: ..."): the kernel not found or QEMU not starting (unobservable),
// a guest that failed (console, timeout: disagreement).
std::variant<vm::GuestResult, ExitCode> run_in_guest(std::string_view command,
                                                     const std::string& image_or_name,
                                                     const std::string& cache, vm::GuestJob& job,
                                                     report::Reporter& reporter);

// "guest: IMAGE under QEMU (tcg), 4.1 s from start to power-off"
std::string guest_line(const vm::GuestJob& job, const vm::GuestResult& r);

}  // namespace rmaplab::cli
