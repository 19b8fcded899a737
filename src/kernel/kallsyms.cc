#include "kernel/kallsyms.h"

#include <algorithm>
#include <charconv>

#include "kernel/trace_parser.h"

namespace rmaplab::kernel {
namespace {

struct Symbol {
  std::uint64_t addr;
  std::string_view name;
  bool text;  // t or T
};

// "ffffffff816047c0 T anon_vma_clone" (modules append "\t[mod]").
bool parse_line(std::string_view line, Symbol* out) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 + 3 > line.size()) return false;
  auto [p, ec] = std::from_chars(line.data(), line.data() + sp1, out->addr, 16);
  if (ec != std::errc() || p != line.data() + sp1) return false;
  char type = line[sp1 + 1];
  out->text = type == 't' || type == 'T';
  std::string_view rest = line.substr(sp1 + 3);
  std::size_t end = rest.find_first_of(" \t");
  out->name = rest.substr(0, end);
  // Module symbols carry "[module]"; they are not core-kernel text.
  if (end != std::string_view::npos && rest.find('[', end) != std::string_view::npos)
    out->text = false;
  return !out->name.empty();
}

}  // namespace

Result<std::vector<FunctionRange>> find_functions(std::string_view kallsyms,
                                                  std::span<const std::string_view> functions) {
  // One pass keeps every address (for the ends) and the wanted symbols; no
  // sort: each wanted symbol's end is the least address above it.
  std::vector<std::uint64_t> addrs;
  addrs.reserve(kallsyms.size() / 40);
  struct Wanted {
    std::uint64_t addr;
    std::size_t function;
  };
  std::vector<Wanted> wanted;
  std::vector<bool> found(functions.size(), false);
  bool zero_address = false;
  for (std::size_t pos = 0; pos < kallsyms.size();) {
    std::size_t nl = kallsyms.find('\n', pos);
    if (nl == std::string_view::npos) nl = kallsyms.size();
    Symbol s;
    if (parse_line(kallsyms.substr(pos, nl - pos), &s)) {
      addrs.push_back(s.addr);
      if (s.text) {
        auto it = std::find(functions.begin(), functions.end(), base_function_name(s.name));
        if (it != functions.end()) {
          std::size_t k = std::size_t(it - functions.begin());
          found[k] = true;
          if (s.addr == 0)
            zero_address = true;
          else
            wanted.push_back({s.addr, k});
        }
      }
    }
    pos = nl + 1;
  }
  std::string missing;
  for (std::size_t k = 0; k < functions.size(); ++k)
    if (!found[k]) missing += (missing.empty() ? "" : ", ") + std::string(functions[k]);
  if (!missing.empty())
    return Error{"/proc/kallsyms has no function " + missing +
                 " (a kernel without these mm/rmap.c functions cannot be observed)"};
  if (zero_address)
    return Error{
        "/proc/kallsyms shows zero addresses (kernel.kptr_restrict hides "
        "them; run as root with kptr_restrict <= 1)"};
  std::vector<FunctionRange> ranges;
  for (const Wanted& w : wanted) {
    std::uint64_t end = ~std::uint64_t{0};
    for (std::uint64_t a : addrs)
      if (a > w.addr && a < end) end = a;
    if (end == ~std::uint64_t{0}) continue;  // the last symbol: no known end
    ranges.push_back({std::string(functions[w.function]), w.addr, end});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const FunctionRange& a, const FunctionRange& b) { return a.start < b.start; });
  return ranges;
}

std::string_view function_at(std::span<const FunctionRange> ranges, std::uint64_t addr) {
  for (const FunctionRange& r : ranges)
    if (addr >= r.start && addr < r.end) return r.function;
  return {};
}

}  // namespace rmaplab::kernel
