#include "guest_run.h"

#include <iostream>

#include <fmt/format.h>

namespace rmaplab::cli {

std::variant<vm::GuestResult, ExitCode> run_in_guest(std::string_view command,
                                                     const std::string& image_or_name,
                                                     const std::string& cache, vm::GuestJob& job,
                                                     report::Reporter& reporter) {
  auto kernel = vm::resolve_kernel(image_or_name, cache, true,
                                   [&](const std::string& line) { reporter.message(line); });
  if (!kernel.ok()) {
    reporter.message(fmt::format("rmaplab {}: {}", command, kernel.error().message));
    return ExitCode::unobservable;
  }
  job.image = kernel->image;
  auto r = vm::run_guest(job);
  if (!r.ok()) {
    reporter.message(fmt::format("rmaplab {}: {}", command, r.error().message));
    return ExitCode::unobservable;
  }
  // What the guest printed before it failed helps to read the failure.
  std::cout << r->out << std::flush;
  std::cerr << r->err;
  if (!r->failure.empty()) {
    reporter.message(fmt::format("rmaplab {}: the guest booting {} failed after {:.1f} s: {}",
                                 command, job.image, r->seconds, r->failure));
    return ExitCode::disagreement;
  }
  return std::move(*r);
}

std::string guest_line(const vm::GuestJob& job, const vm::GuestResult& r) {
  return fmt::format("guest: {} under QEMU ({}), {:.1f} s from start to power-off", job.image,
                     r.accel, r.seconds);
}

}  // namespace rmaplab::cli
