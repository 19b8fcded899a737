// The one spelling of errno values, from the C library's own table.
#pragma once

#include <cstring>
#include <string>

namespace rmaplab {

// "ENOMEM" for ENOMEM; "E<n>" for a number the C library has no name for.
inline std::string errno_name(int err) {
  if (const char* name = strerrorname_np(err)) return name;
  return "E" + std::to_string(err);
}

// A system call's result as reports spell it: "ok" for 0, else the name of
// the errno (`result` is 0 or a negative errno, the kernel's convention).
inline std::string result_name(int result) { return result == 0 ? "ok" : errno_name(-result); }

}  // namespace rmaplab
