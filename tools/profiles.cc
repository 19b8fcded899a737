// rmaplab profiles [--json]: the rule sets --profile accepts (src/profile's
// table), one line each: name, the kernels it describes, description.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "rmaplab/profile.h"

namespace rmaplab::cli {

struct ProfilesCommand {
  bool json = false;
};

ExitCode run_profiles(const ProfilesCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  const auto& all = model::profiles();
  if (o.json) {
    nlohmann::json doc = nlohmann::json::array();
    for (const model::Profile* p : all)
      doc.push_back({{"name", p->name},
                     {"kernels", p->kernels},
                     {"description", p->description},
                     {"default", p == &model::linux_6_18()}});
    reporter.print(doc.dump(2));
    return ExitCode::success;
  }
  // NAME  KERNELS
  //   description
  std::size_t nw = 0;
  for (const model::Profile* p : all) nw = std::max(nw, p->name.size());
  std::string out;
  for (const model::Profile* p : all)
    out += fmt::format("{:<{}}  {}{}\n    {}\n", p->name, nw, p->kernels,
                       p == &model::linux_6_18() ? " (default)" : "", p->description);
  reporter.print(out);
  return ExitCode::success;
}

Runner setup_profiles(CLI::App& app) {
  auto o = std::make_shared<ProfilesCommand>();
  app.add_flag("--json", o->json, "Print JSON instead of a table");
  return [o] { return run_profiles(*o); };
}

}  // namespace rmaplab::cli
