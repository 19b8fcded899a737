// Allocation/free tallies shared by the text and JSON reporters.
#include <algorithm>

#include "rmaplab/report.h"

namespace rmaplab::report {

std::vector<std::pair<std::string, Counts>> call_site_totals(
    const std::vector<EventRecord>& events) {
  std::vector<std::pair<std::string, Counts>> sites;
  for (const EventRecord& e : events) {
    auto it =
        std::find_if(sites.begin(), sites.end(), [&](const auto& s) { return s.first == e.site; });
    if (it == sites.end()) it = sites.insert(sites.end(), {e.site, Counts{}});
    Counts& c = it->second;
    (e.anon_vma ? (e.alloc ? c.anon_vma_alloc : c.anon_vma_free)
                : (e.alloc ? c.avc_alloc : c.avc_free))++;
  }
  return sites;
}

}  // namespace rmaplab::report
