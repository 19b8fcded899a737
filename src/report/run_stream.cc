// A model run written as it goes (report.h RunStream). The JSON document is
// written piece by piece with nlohmann's own formatting of each piece, so it
// reads as one dump(2) would.
#include <fmt/format.h>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

// `json` dumped with two-space indentation, its lines after the first
// indented by `by` more.
std::string indented(const nlohmann::json& json, std::size_t by) {
  const std::string text = json.dump(2);
  const std::string pad(by, ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

}  // namespace

RunStream::RunStream(Reporter& reporter, const Script& script, std::string_view profile,
                     int stop_after_line, const TableOptions& options)
    : reporter_(reporter), script_(script), options_(options) {
  if (reporter_.format() == Format::json) {
    reporter_.out_ << fmt::format("{{\n  \"model\": {},\n  \"ops\": [",
                                  nlohmann::json(profile).dump());
  } else {
    widths_ = table_widths(script, stop_after_line);
    reporter_.write(reporter_.out_, table_header(widths_));
  }
}

void RunStream::op(const OpRecord& rec) {
  if (reporter_.format() == Format::json) {
    reporter_.out_ << (first_ ? "\n    " : ",\n    ") << indented(op_json(rec), 4);
  } else {
    reporter_.out_ << table_row(widths_, rec);
  }
  first_ = false;
}

void RunStream::close_ops() { reporter_.out_ << (first_ ? "]" : "\n  ]"); }

void RunStream::finish(const RunSummary& summary) {
  if (reporter_.format() == Format::json) {
    close_ops();
    const nlohmann::json rest = summary_json(summary);
    for (const auto& [key, value] : rest.items())
      if (key != "model") reporter_.out_ << ",\n  \"" << key << "\": " << indented(value, 2);
    reporter_.write(reporter_.out_, "\n}");
  } else if (!summary.violation) {
    reporter_.write(reporter_.out_, table_summary(summary, options_));
  }
  if (summary.violation)
    reporter_.write(reporter_.err_, violation_sentence(script_.file, *summary.violation));
}

void RunStream::fail(const Error& error) {
  if (reporter_.format() == Format::json) {
    close_ops();
    reporter_.out_ << ",\n  \"error\": " << indented(error_json(error.message)["error"], 2);
    reporter_.write(reporter_.out_, "\n}");
  }
  reporter_.write(reporter_.err_, error.message);
}

}  // namespace rmaplab::report
