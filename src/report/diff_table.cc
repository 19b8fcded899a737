// rmaplab diff over several scripts: a line per script and the totals.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/diff.h"
#include "rmaplab/report.h"

namespace rmaplab::report {

std::string diff_list_text(const std::vector<ProfileComparison>& comparisons,
                           const ProfileDiffTotals& totals) {
  std::string out;
  std::size_t w = 0;
  for (const ProfileComparison& c : comparisons) w = std::max(w, c.file.size());
  // One line per script only for a handful; the totals say the rest.
  if (comparisons.size() <= 50) {
    for (const ProfileComparison& c : comparisons) {
      std::string what =
          c.same() ? "same" : fmt::format("{} of {} ops differ", c.differences, c.ops.size());
      if (!c.same())
        what += fmt::format("; first: line {} {}", c.divergence.line, to_string(c.divergence.kind));
      out += fmt::format("{:<{}}  {}{}\n", c.file, w, what, c.semantic() ? " (semantic)" : "");
    }
    out += "\n";
  }
  return out + profile_totals_text(totals);
}

nlohmann::json diff_list_json(const std::vector<ProfileComparison>& comparisons,
                              const ProfileDiffTotals& totals) {
  nlohmann::json doc = to_json(totals);
  doc["comparisons"] = nlohmann::json::array();
  for (const ProfileComparison& c : comparisons) doc["comparisons"].push_back(to_json(c));
  return doc;
}

}  // namespace rmaplab::report
