// StateChanges reads only what an operation could have changed; replaying
// its changes must give the whole state, read afresh, after every
// operation: on every example, under every profile, and on generated
// scripts, with and without folios.
#include "html/state_changes.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rmaplab/gen.h"
#include "rmaplab/profile.h"
#include "rmaplab/run.h"

namespace rmaplab::html {
namespace {

using Objects = std::map<std::pair<char, std::uint64_t>, std::string>;

// Replays `script` and checks the replayed objects against the state after
// each operation; returns the operations checked.
std::size_t check_replay(const Script& script, const model::Profile* profile, bool folios) {
  RunOptions options;
  options.layouts = Layouts::none;
  options.profile = profile;
  Simulation sim(script, options);
  const State state(sim);
  StateChanges changes(folios);
  Objects replayed;
  std::size_t ops = 0;
  while (!sim.done()) {
    if (!sim.step()) break;  // a script error: nothing more to compare
    std::string out;
    changes.next(state, script.ops[sim.next_op() - 1], out);
    for (const auto& c : nlohmann::json::parse(out)) {
      const std::pair<char, std::uint64_t> key{c[0].get<std::string>()[0],
                                               c[1].get<std::uint64_t>()};
      if (c[2].is_null())
        replayed.erase(key);
      else
        replayed[key] = c[2].dump();
    }
    Objects now;
    for (auto& [key, value] : changes.everything(state))
      now[key] = nlohmann::json::parse(value).dump();  // one spelling on both sides
    ++ops;
    EXPECT_EQ(replayed, now) << script.file << ": after line "
                             << script.ops[sim.next_op() - 1].line;
    if (replayed != now) break;
  }
  return ops;
}

TEST(StateChanges, ReplayGivesTheWholeStateOnEveryExampleUnderEveryProfile) {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(RMAPLAB_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".rml") continue;
    auto script = load_script(entry.path().string());
    ASSERT_TRUE(script) << script.error().message;
    for (const model::Profile* p : model::profiles())
      for (const bool folios : {false, true})
        EXPECT_GT(check_replay(*script, p, folios), 0u) << entry.path() << " " << p->name;
  }
}

TEST(StateChanges, ReplayGivesTheWholeStateOnGeneratedScripts) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    GenOptions g;
    g.seed = seed;
    g.ops = 400;
    auto script = parse_script(generate_script(g), "seed-" + std::to_string(seed) + ".rml");
    ASSERT_TRUE(script) << script.error().message;
    EXPECT_GT(check_replay(*script, nullptr, true), 0u);
  }
}

}  // namespace
}  // namespace rmaplab::html
