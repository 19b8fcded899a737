// rmaplab report SCRIPT|DIR [--profile A [--profile B]] [--folios] [--kernel] -o FILE.html
//
// One self-contained HTML page of the run (rmaplab/html.h): the timeline,
// the state after each operation as SVG, plots, two profiles side by side,
// the kernel's observations beside the model's. A directory stands for the
// .rml scripts in it: -o is then a directory, given one page per script and
// an index.html.
//
// Exit: 0 the page is written; 1 it shows an invariant violation or a
// model/kernel disagreement; 2 a usage or script error (a script error found
// while running is on the page too); 3 --kernel and the kernel cannot be
// observed (the page says so); 4 the page could not be written.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <system_error>

#include <fmt/format.h>

#include "command.h"
#include "options.h"
#include "rmaplab/html.h"

namespace rmaplab::cli {

struct ReportCommand {
  std::string script;
  std::vector<std::string> profiles;
  bool folios = false;
  bool kernel = false;
  std::string output;
};

namespace {

struct PageOutcome {
  ExitCode code = ExitCode::success;
  std::string note;  // what the page shows that the exit code stands for
};

PageOutcome write_page(const Script& script, const HtmlOptions& options, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return {ExitCode::output_failed,
            fmt::format("cannot write {}: {}", path, std::generic_category().message(errno))};
  auto summary = write_html_report(script, options, out);
  out.close();
  if (!summary || !out)
    return {ExitCode::output_failed,
            fmt::format("cannot write {}: {}", path,
                        summary ? std::string("the write failed") : summary.error().message)};
  if (!summary->script_error.empty()) return {ExitCode::usage, summary->script_error};
  if (!summary->kernel_error.empty())
    return {ExitCode::unobservable,
            fmt::format("{}: the kernel: {}", script.file, summary->kernel_error)};
  if (summary->violation)
    return {ExitCode::disagreement, report::violation_sentence(script.file, *summary->violation)};
  if (summary->kernel_differences)
    return {ExitCode::disagreement,
            fmt::format("{}: the kernel differs from the model at {} operations", script.file,
                        summary->kernel_differences)};
  return {};
}

}  // namespace

ExitCode run_report(const ReportCommand& o) {
  report::Reporter reporter(report::Format::text, std::cout, std::cerr);
  if (o.profiles.size() > 2) {
    reporter.error("rmaplab report: give at most two profiles");
    return ExitCode::usage;
  }
  HtmlOptions options;
  options.folios = o.folios;
  options.kernel = o.kernel;
  for (const std::string& name : o.profiles) {
    auto found = find_profile(name);
    if (!found) {
      reporter.error(found.error().message);
      return ExitCode::usage;
    }
    options.profiles.push_back(*found);
  }
  std::error_code ec;
  const bool dir = o.script != "-" && std::filesystem::is_directory(o.script, ec);
  auto loaded = load_scripts("report", {o.script});
  if (!loaded) {
    reporter.error(loaded.error().message);
    return ExitCode::usage;
  }
  std::vector<Script> scripts = std::move(*loaded);
  if (!dir) {
    const PageOutcome page = write_page(scripts[0], options, o.output);
    if (!page.note.empty()) reporter.message(page.note);
    return page.code;
  }

  // A directory: one page per script and an index.
  std::filesystem::create_directories(o.output, ec);
  if (ec) {
    reporter.error(fmt::format("cannot create {}: {}", o.output, ec.message()));
    return ExitCode::output_failed;
  }
  ExitCode worst = ExitCode::success;
  std::string index =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rmaplab "
      "reports</title></head><body><h1>rmaplab reports</h1><ul>\n";
  for (const Script& s : scripts) {
    const std::string name = std::filesystem::path(s.file).stem().string() + ".html";
    const PageOutcome page =
        write_page(s, options, (std::filesystem::path(o.output) / name).string());
    if (!page.note.empty()) reporter.message(page.note);
    if (page.code == ExitCode::output_failed) return page.code;
    worst = std::max(worst, page.code);
    // File names from a directory listing: escape the few characters HTML reads.
    std::string shown;
    for (const char c : name)
      shown += c == '<' ? "&lt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
    index += fmt::format("<li><a href=\"{0}\">{0}</a>{1}</li>\n", shown,
                         page.note.empty() ? "" : " (see the page)");
  }
  index += "</ul></body></html>\n";
  std::ofstream out(std::filesystem::path(o.output) / "index.html", std::ios::trunc);
  out << index;
  out.close();
  if (!out) {
    reporter.error(fmt::format("cannot write {}/index.html", o.output));
    return ExitCode::output_failed;
  }
  return worst;
}

Runner setup_report(CLI::App& app) {
  auto o = std::make_shared<ReportCommand>();
  app.add_option("script", o->script,
                 "Workload script (.rml), or a directory of them; '-' reads standard input")
      ->required();
  app.add_option("--profile", o->profiles,
                 "The rules (see rmaplab profiles); twice: both side by side")
      ->type_name("NAME");
  app.add_flag("--folios", o->folios, "Draw each VMA's present pages and their folios");
  app.add_flag("--kernel", o->kernel,
               "Also run the script on the kernel (root) and show its observations beside the "
               "model's");
  app.add_option("-o,--output", o->output,
                 "The HTML file to write (a directory, for a directory of scripts)")
      ->type_name("FILE")
      ->required();
  return [o] { return run_report(*o); };
}

}  // namespace rmaplab::cli
