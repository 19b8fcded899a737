// x86_64 system call names, and which calls a recording keeps.
//
// The recorder traces every system call (raw_syscalls:sys_enter/sys_exit):
// the memory, task and descriptor calls below are always kept as operations;
// any other call is kept only if the kernel allocated or freed an anon_vma or
// an AVC inside it, so no such event is ever charged to the wrong operation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rmaplab::record {

// "mmap" for 9; "syscall_N" for a number the table does not know.
std::string syscall_name(long nr);
// The inverse of syscall_name().
std::optional<long> syscall_number(std::string_view name);

// Whether a call is always kept in a recording (see above).
bool is_recorded_syscall(std::string_view name);

// A raw_syscalls filter that passes only the calls always kept
// ("id == 9 || id == 10 || ...").
std::string recorded_syscalls_filter();

}  // namespace rmaplab::record
