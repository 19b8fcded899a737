// The table of profiles: every rule set `--profile` accepts, in the order
// `rmaplab profiles` lists them (name, description and kernels live in each
// profile's own file).
#include <algorithm>

#include "rmaplab/profile.h"

namespace rmaplab::model {

const std::vector<const Profile*>& profiles() {
  static const std::vector<const Profile*> all = {
      &linux_6_18(), &linux_6_12(),        &linux_6_1(), &rfc_v1(),   &rfc_v2(),
      &linux_7_0(),  &linux_7_0_pre_fix(), &degree(),    &no_reuse(),
  };
  return all;
}

const Profile* find_profile(std::string_view name) {
  const auto& all = profiles();
  auto it = std::find_if(all.begin(), all.end(), [&](const Profile* p) { return p->name == name; });
  return it == all.end() ? nullptr : *it;
}

}  // namespace rmaplab::model
