// rmaplab profiles [--json]: the rule sets --profile accepts (src/profile's
// table), one entry each: name, the kernels it describes, description
// (report.h profiles_text, profiles_json).
#include <iostream>
#include <memory>

#include "command.h"
#include "rmaplab/profile.h"

namespace rmaplab::cli {

struct ProfilesCommand {
  bool json = false;
};

ExitCode run_profiles(const ProfilesCommand& o) {
  report::Reporter reporter(o.json ? report::Format::json : report::Format::text, std::cout,
                            std::cerr);
  reporter.print(o.json ? report::profiles_json().dump(2) : report::profiles_text());
  return ExitCode::success;
}

Runner setup_profiles(CLI::App& app) {
  auto o = std::make_shared<ProfilesCommand>();
  app.add_flag("--json", o->json, "Print JSON instead of a table");
  return [o] { return run_profiles(*o); };
}

}  // namespace rmaplab::cli
