// rmaplab profiles: the rule sets --profile accepts (src/profile's table).
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/profile.h"
#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

// "6.12-6.12", or "" for a profile that claims no release.
std::string claims(const model::Profile& p) {
  if (p.claims_from == model::KernelVersion{}) return "";
  return fmt::format("{}.{}-{}.{}", p.claims_from.major, p.claims_from.minor, p.claims_to.major,
                     p.claims_to.minor);
}

}  // namespace

std::string profiles_text() {
  const auto& all = model::profiles();
  std::size_t nw = 0;
  for (const model::Profile* p : all) nw = std::max(nw, p->name.size());
  std::string out;
  for (const model::Profile* p : all)
    out += fmt::format("{:<{}}  {}{}{}\n    {}\n", p->name, nw, p->kernels,
                       p == &model::linux_6_18() ? " (default)" : "",
                       claims(*p).empty() ? "" : fmt::format("; auto for {}", claims(*p)),
                       p->description);
  return out;
}

nlohmann::json profiles_json() {
  nlohmann::json doc = nlohmann::json::array();
  for (const model::Profile* p : model::profiles())
    doc.push_back(
        {{"name", p->name},
         {"kernels", p->kernels},
         {"description", p->description},
         {"default", p == &model::linux_6_18()},
         {"claims", claims(*p).empty() ? nlohmann::json(nullptr) : nlohmann::json(claims(*p))}});
  return doc;
}

}  // namespace rmaplab::report
