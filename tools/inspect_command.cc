// rmaplab inspect PID [--range START-END] [--pages] [--json|--dot|--svg FILE]
//
// The live anon_vma forest of a process, read from the kernel's own objects
// (rmaplab/kernel_objects.h): a table by default.
#include <charconv>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.h"
#include "rmaplab/inspect.h"

namespace rmaplab::cli {

struct InspectCommand {
  int pid = 0;
  std::string range;  // "START-END", hexadecimal
  bool pages = false;
  bool json = false, dot = false;
  std::string svg;
};

namespace {

bool parse_hex(std::string_view s, std::uint64_t* out) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

ExitCode exit_code(kernel::ReadFailure f) {
  switch (f) {
    case kernel::ReadFailure::not_root:
      return ExitCode::unobservable;
    case kernel::ReadFailure::no_process:
      return ExitCode::no_process;
    case kernel::ReadFailure::kernel_thread:
      return ExitCode::kernel_thread;
    case kernel::ReadFailure::exited:
      return ExitCode::process_exited;
    case kernel::ReadFailure::unavailable:
    case kernel::ReadFailure::no_btf:
      return ExitCode::no_bpf;
    default:
      return ExitCode::unobservable;
  }
}

}  // namespace

ExitCode run_inspect(const InspectCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  kernel::ReadRequest request;
  request.pid = o.pid;
  request.pages = o.pages;
  if (!o.range.empty()) {
    const std::size_t dash = o.range.find('-');
    if (dash == std::string::npos || !parse_hex(o.range.substr(0, dash), &request.start) ||
        !parse_hex(o.range.substr(dash + 1), &request.end) || request.start >= request.end) {
      reporter.error(fmt::format(
          "--range '{}' is not START-END, two hexadecimal addresses with START below END",
          o.range));
      return ExitCode::usage;
    }
  }
  kernel::ObjectDump dump;
  kernel::ReadError error;
  if (!kernel::read_objects({request}, &dump, &error)) {
    reporter.error(error.message);
    return exit_code(error.failure);
  }
  if (o.json) {
    nlohmann::json doc = report::inspect_json(dump);
    if (o.pages) doc["pages"] = report::inspect_pages_json(dump);
    reporter.print(doc.dump(2) + "\n");
    return ExitCode::success;
  }
  if (!o.dot && o.svg.empty()) {
    reporter.print(report::inspect_table(dump, o.pages));
    return ExitCode::success;
  }
  const std::string dot = report::inspect_dot(dump, fmt::format("pid {}", o.pid));
  return print_graph(reporter, dot, o.dot ? std::string() : o.svg);
}

Runner setup_inspect(CLI::App& app) {
  auto o = std::make_shared<InspectCommand>();
  app.add_option("pid", o->pid, "The process to read (root)")
      ->required()
      ->check(CLI::PositiveNumber);
  app.add_option("--range", o->range, "Only VMAs overlapping START-END (hexadecimal addresses)")
      ->type_name("START-END");
  app.add_flag("--pages", o->pages, "Also the folio of every present page (in the range)");
  auto* json = app.add_flag("--json", o->json, "Print JSON");
  auto* dot = app.add_flag("--dot", o->dot, "Print the forest as Graphviz DOT");
  auto* svg = app.add_option("--svg", o->svg,
                             "Render the forest with Graphviz's dot into this SVG file ('-': on "
                             "standard output)")
                  ->type_name("FILE");
  json->excludes(dot)->excludes(svg);
  dot->excludes(svg);
  return [o] { return run_inspect(*o); };
}

}  // namespace rmaplab::cli
