// check_touched, as a specification: what an operation records as touched,
// the lock rule, and that the touched check finds exactly what the full
// check finds, first violation for first violation, over every example and
// generated scripts under every profile. (The planted corruptions of each
// rule run through both checks in check_test.cc.)
//
// The model is driven here through Machine::apply, with Env::reset_touched()
// before each operation, which is what the run driver does.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "check/anon_vma_test_access.h"
#include "check/check.h"
#include "model/machine.h"
#include "model/rule.h"
#include "rmaplab/gen.h"
#include "rmaplab/profile.h"
#include "rmaplab/script.h"

namespace rmaplab {
namespace {

using model::anon_vma;

Script parse(const std::string& text) {
  auto s = parse_script(text, "test.rml");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s.value()) : Script{};
}

// The first violation of a run and the line after which it was found.
struct First {
  int line = 0;
  std::string rule;  // empty: none
  bool operator==(const First&) const = default;
};
std::ostream& operator<<(std::ostream& os, const First& f) {
  return os << (f.rule.empty() ? "no violation" : f.rule + " after line " + std::to_string(f.line));
}

enum class Mode { full_every_op, touched_every_op };

// Runs `script` under `profile`, checking after every operation, up to the
// first violation (or broken model guard). With touched_every_op the full check also runs once at
// the end of a clean run (and its finding is charged to the last line).
First run(const Script& script, const model::Profile& profile, Mode mode,
          std::uint64_t fail_alloc = 0) {
  model::Env::Options options;
  options.record_events = false;
  options.profile = &profile;
  options.fail_alloc = fail_alloc;
  model::Env env(options);
  model::Machine machine(env);
  int last = 0;
  for (const Op& op : script.ops) {
    env.reset_touched();
    try {
      if (machine.apply(op).fault) break;  // a script error: both runs stop here
    } catch (const model::RuleBroken& e) {
      // A guard inside the model (rfc-v1's underflow): both runs stop here,
      // unless a check found the state broken before.
      return {op.line, "guard: " + e.rule};
    }
    last = op.line;
    auto f = mode == Mode::full_every_op ? check_invariants(machine, script.procs)
                                         : check_touched(machine, script.procs);
    if (f) return {op.line, f->rule};
  }
  if (mode == Mode::touched_every_op)
    if (auto f = check_invariants(machine, script.procs)) return {last, f->rule};
  return {};
}

std::vector<std::filesystem::path> examples() {
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(RMAPLAB_SOURCE_DIR "/examples"))
    if (e.path().extension() == ".rml") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- the differential: the touched check finds what the full check finds ---

TEST(CheckTouched, FindsWhatTheFullCheckFindsOnEveryExampleUnderEveryProfile) {
  const std::uint64_t alarms = check_touched_false_alarms();
  const auto paths = examples();
  ASSERT_GE(paths.size(), 20u);
  for (const model::Profile* profile : model::profiles()) {
    for (const auto& path : paths) {
      const Script script = parse(read(path));
      const First full = run(script, *profile, Mode::full_every_op);
      const First touched = run(script, *profile, Mode::touched_every_op);
      EXPECT_EQ(touched, full) << path.filename() << " under " << profile->name;
      if (profile->name == model::kDefaultProfile) {
        EXPECT_EQ(full, First{}) << path.filename();
      }
    }
  }
  // Nor did it ever suspect a valid state (each false alarm is a full check).
  EXPECT_EQ(check_touched_false_alarms(), alarms);
}

TEST(CheckTouched, FindsTheCveUnderDegreeAtTheSameLine) {
  const Script script = parse(read(RMAPLAB_SOURCE_DIR "/examples/cve-2022-42703.rml"));
  const model::Profile* degree = model::find_profile("degree");
  ASSERT_NE(degree, nullptr);
  const First touched = run(script, *degree, Mode::touched_every_op);
  EXPECT_EQ(touched.line, 49);
  EXPECT_EQ(touched.rule.substr(0, 3), "I11");
  EXPECT_EQ(run(script, model::linux_6_18(), Mode::touched_every_op), First{});
}

TEST(CheckTouched, FindsWhatTheFullCheckFindsOnGeneratedScriptsUnderEveryProfile) {
  const std::uint64_t alarms = check_touched_false_alarms();
  int scripts = 0, violations = 0;
  for (const model::Profile* profile : model::profiles()) {
    for (std::uint64_t seed = 1; seed <= 120; ++seed) {
      GenOptions g;
      g.seed = seed;
      g.procs = seed % 3 == 0 ? 12 : 6;
      g.ops = seed % 4 == 0 ? 150 : 60;
      g.profile = profile;
      const Script script = parse(generate_script(g));
      const First full = run(script, *profile, Mode::full_every_op);
      const First touched = run(script, *profile, Mode::touched_every_op);
      EXPECT_EQ(touched, full) << "seed " << seed << " under " << profile->name;
      if (profile->name == model::kDefaultProfile) {
        EXPECT_EQ(full, First{}) << "seed " << seed;
      }
      // An allocation failing somewhere: the unwind paths record what they undo.
      const std::uint64_t k = 1 + seed % 13;
      EXPECT_EQ(run(script, *profile, Mode::touched_every_op, k),
                run(script, *profile, Mode::full_every_op, k))
          << "seed " << seed << " under " << profile->name << " failing allocation " << k;
      ++scripts;
      violations += !full.rule.empty();
    }
  }
  EXPECT_EQ(scripts, 120 * static_cast<int>(model::profiles().size()));
  EXPECT_EQ(check_touched_false_alarms(), alarms);
  RecordProperty("violations", violations);
}

// --- what an operation records ---

struct Machine1 {
  explicit Machine1(const std::string& text) : script(parse(text)), machine(env) {}
  // Applies every operation; returns what the last one touched.
  const model::Touched& run_all() {
    for (const Op& op : script.ops) {
      env.reset_touched();
      EXPECT_FALSE(machine.apply(op).fault);
    }
    return env.touched();
  }
  Script script;
  model::Env env;
  model::Machine machine;
};

TEST(Touched, AFirstWriteRecordsItsPageItsFolioAndTheNewAnonVma) {
  Machine1 m("spawn P\nP mmap 0 100\nP write 7\n");
  const model::Touched& t = m.run_all();
  ASSERT_EQ(t.pages.size(), 1u);
  EXPECT_EQ(t.pages[0].start, 7u);
  EXPECT_EQ(t.pages[0].end, 8u);
  ASSERT_EQ(t.folios.size(), 1u);
  EXPECT_EQ(t.folios[0].f->index, model::kArenaPgoff + 7);
  ASSERT_FALSE(t.anon_vmas.empty());
  EXPECT_EQ(t.anon_vmas[0].av->id(), 1u);
  EXPECT_EQ(t.chain_links, 1);
}

TEST(Touched, AWriteToAPageItOwnsRecordsNothing) {
  Machine1 m("spawn P\nP mmap 0 100\nP write 7\nP write 7\n");
  const model::Touched& t = m.run_all();
  EXPECT_TRUE(t.pages.empty());
  EXPECT_TRUE(t.folios.empty());
  EXPECT_TRUE(t.anon_vmas.empty());
  EXPECT_TRUE(t.vmas.empty());
}

TEST(Touched, ASplitRecordsTheNewVmaAsInheritingItsSourceNotItsPages) {
  //   0     10                100
  //   | rw  |  r (the original) ... split at 10 and at 11
  Machine1 m("spawn P\nP mmap 0 100\nP write 0 100\nP mprotect 10 1 r\n");
  const model::Touched& t = m.run_all();
  ASSERT_EQ(t.inherits.size(), 2u);  // [0,10) and [11,100) are new
  for (const model::Touched::Pages& p : t.pages) EXPECT_LE(p.end - p.start, 1u);
  EXPECT_TRUE(t.context_changed.empty());
  EXPECT_FALSE(check_touched(m.machine, m.script.procs).has_value());
}

// --- the contract: untouched objects are not looked at ---

TEST(CheckTouched, DoesNotLookAtWhatNoOperationTouched) {
  Machine1 m("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\nP mmap 20 4\nP write 20\n");
  m.run_all();  // the last write touched root #3's family only
  anon_vma* child = nullptr;
  for (anon_vma* a : m.env.anon_vmas())
    if (a->id() == 2) child = a;
  ASSERT_NE(child, nullptr);
  ++model::anon_vma_test_access::num_active_vmas(*child);
  EXPECT_FALSE(check_touched(m.machine, m.script.procs).has_value());
  ASSERT_TRUE(check_invariants(m.machine, m.script.procs).has_value());
  m.env.touch(child);
  const auto f = check_touched(m.machine, m.script.procs);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rule.substr(0, 2), "I6");
  --model::anon_vma_test_access::num_active_vmas(*child);
}

TEST(CheckTouched, ChecksTheTreePathOfAnAvcAForkInserted) {
  // The fork only inserts into #1's tree, so its path is what is checked.
  Machine1 m("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\n");
  const model::Touched& t = m.run_all();
  EXPECT_FALSE(check_touched(m.machine, m.script.procs).has_value());
  const model::anon_vma_chain* inserted = nullptr;
  for (const model::anon_vma_chain* a : t.inserted)
    if (a->anon_vma->id() == 1) inserted = a;
  ASSERT_NE(inserted, nullptr);
  auto& last = const_cast<model::anon_vma_chain*>(inserted)->rb.subtree_last;
  ++last;  // filed with a subtree end its VMA does not have
  for (auto f :
       {check_invariants(m.machine, m.script.procs), check_touched(m.machine, m.script.procs)}) {
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->rule.substr(0, 2), "I3") << f->rule;
  }
  --last;
}

TEST(CheckTouched, WithoutResetTouchedRecordsNothingAndChecksEverything) {
  const Script script = parse("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\n");
  model::Env env;
  model::Machine machine(env);
  for (const Op& op : script.ops) machine.apply(op);
  EXPECT_FALSE(env.tracking_touched());
  EXPECT_TRUE(env.touched().pages.empty());
  EXPECT_TRUE(env.touched().anon_vmas.empty());
  anon_vma* child = nullptr;
  for (anon_vma* a : env.anon_vmas())
    if (!a->is_root()) child = a;
  ASSERT_NE(child, nullptr);
  ++model::anon_vma_test_access::num_active_vmas(*child);  // nothing marks it touched
  const auto f = check_touched(machine, script.procs);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rule.substr(0, 2), "I6");
  --model::anon_vma_test_access::num_active_vmas(*child);
}

// --- L1: no root rwsem is held between operations ---

TEST(CheckTouched, L1ARootRwsemLeftHeldIsReportedByBothChecks) {
  Machine1 m("spawn P\nP mmap 0 8\nP write 0\n");
  m.run_all();
  const anon_vma* root = m.env.anon_vmas().front();
  EXPECT_EQ(m.env.rwsems_held(), 0u);
  m.env.reset_touched();
  m.env.lock(Lock::anon_vma_root_write, root);  // a path that forgot to unlock
  for (auto f :
       {check_invariants(m.machine, m.script.procs), check_touched(m.machine, m.script.procs)}) {
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->rule, "L1 locks_released");
    EXPECT_NE(f->message.find("1 anon_vma root rwsem is still held"), std::string::npos)
        << f->message;
  }
  m.env.unlock(Lock::anon_vma_root_write, root);
  EXPECT_FALSE(check_touched(m.machine, m.script.procs).has_value());
}

}  // namespace
}  // namespace rmaplab
