// The Reporter: picks the text or JSON form and writes it out.
#include <ostream>

#include "rmaplab/report.h"

namespace rmaplab::report {

Reporter::Reporter(Format format, std::ostream& out, std::ostream& err)
    : format_(format), out_(out), err_(err) {}

void Reporter::write(std::ostream& os, std::string_view text) {
  if (&os == &err_) out_.flush();  // keep stdout before stderr when both go to one terminal
  os << text;
  if (!text.empty() && text.back() != '\n') os << '\n';
  if (&os == &err_) os.flush();
}

void Reporter::run(const Script& script, const RunReport& report, const TableOptions& options) {
  if (format_ == Format::json) {
    write(out_, run_json(report).dump(2));
  } else {
    write(out_, report.violation ? run_rows(report) : run_table(report, options));
  }
  if (report.violation) write(err_, violation_sentence(script.file, *report.violation));
}

void Reporter::print(std::string_view text) { write(out_, text); }

void Reporter::walk(const Walk& walk) {
  write(out_, format_ == Format::json ? walk_json(walk).dump(2) : walk_text(walk));
}

void Reporter::message(std::string_view text) { write(err_, text); }

bool Reporter::ok() {
  out_.flush();
  return static_cast<bool>(out_);
}

}  // namespace rmaplab::report
