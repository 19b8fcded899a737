// Allocation/free tallies shared by the text and JSON reporters.
#include <algorithm>

#include "rmaplab/report.h"

namespace rmaplab::report {

std::vector<std::pair<CallSite, Counts>> call_site_totals(const std::vector<Event>& events) {
  std::vector<std::pair<CallSite, Counts>> sites;
  for (const Event& e : events) {
    auto it =
        std::find_if(sites.begin(), sites.end(), [&](const auto& s) { return s.first == e.site; });
    if (it == sites.end()) it = sites.insert(sites.end(), {e.site, Counts{}});
    it->second.add(e);
  }
  return sites;
}

}  // namespace rmaplab::report
