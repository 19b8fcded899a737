// The table of profiles: every rule set `--profile` accepts, in the order
// `rmaplab profiles` lists them (name, description and kernels live in each
// profile's own file).
#include <algorithm>

#include "rmaplab/profile.h"

namespace rmaplab::model {

const std::vector<const Profile*>& profiles() {
  static const std::vector<const Profile*> all = {
      &linux_6_18(), &linux_6_12(),        &linux_6_1(), &rfc_v1(),   &rfc_v2(),
      &linux_7_0(),  &linux_7_0_pre_fix(), &degree(),    &no_reuse(), &anon_vma_lazy(), &cow_context_profile(),
  };
  return all;
}

const Profile* find_profile(std::string_view name) {
  const auto& all = profiles();
  auto it = std::find_if(all.begin(), all.end(), [&](const Profile* p) { return p->name == name; });
  return it == all.end() ? nullptr : *it;
}

KernelVersion parse_kernel_release(std::string_view release) {
  auto number = [&](std::size_t& at) {
    int n = 0;
    const std::size_t begin = at;
    while (at < release.size() && release[at] >= '0' && release[at] <= '9' && at - begin < 6)
      n = n * 10 + (release[at++] - '0');
    return at == begin ? -1 : n;
  };
  std::size_t at = 0;
  const int major = number(at);
  if (major < 0 || at >= release.size() || release[at] != '.') return {};
  ++at;
  const int minor = number(at);
  if (minor < 0) return {};
  return {major, minor};
}

const Profile* profile_claiming(KernelVersion version) {
  if (version == KernelVersion{}) return nullptr;
  for (const Profile* p : profiles())
    if (p->claims_from != KernelVersion{} && p->claims_from <= version && version <= p->claims_to)
      return p;
  return nullptr;
}

}  // namespace rmaplab::model
