// Address ranges of kernel functions, from the text of /proc/kallsyms.
//
// A function's range is [its address, the next higher symbol's address): the
// kernel prints call sites as return addresses inside the calling function,
// and tracefs event filters compare them numerically. Compiler-made pieces of
// a function ("anon_vma_clone.cold", ".part.0", ".isra.0") belong to it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab::kernel {

struct FunctionRange {
  std::string function;              // base name, e.g. "anon_vma_clone"
  std::uint64_t start = 0, end = 0;  // [start, end)
};

// Every range of the named functions in core-kernel text (module symbols are
// ignored). Fails naming the functions that are missing, or all-zero
// addresses (kptr_restrict hides them from this user).
Result<std::vector<FunctionRange>> find_functions(std::string_view kallsyms,
                                                  std::span<const std::string_view> functions);

// The function whose range holds addr, or "" if none does.
std::string_view function_at(std::span<const FunctionRange> ranges, std::uint64_t addr);

}  // namespace rmaplab::kernel
