// compare_runs() on hand-made kernel runs: the model's own record turned
// into a kernel::Run (events, ids and snapshots mirrored, so the two agree),
// then altered at one operation the way a real disagreement would look. Each
// test asserts the kind, the line and the message of the first difference,
// and that nothing else is reported. No kernel needed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/kernel.h"
#include "rmaplab/report.h"
#include "rmaplab/run.h"
#include "rmaplab/verify.h"

namespace rmaplab {
namespace {

Script parse_or_die(std::string_view text) {
  auto s = parse_script(text, "test.rml");
  if (!s) {
    ADD_FAILURE() << s.error().message;
    return {};
  }
  return std::move(s).value();
}

RunReport model_of(const Script& script) {
  auto r = run_script(script, {});
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  return std::move(r).value();
}

// What the kernel runner would record if the kernel did exactly what the
// model does: kernel ids equal model ids, one frame per folio (pfn 0x1000 +
// folio id), the zero page at pfn 1.
kernel::Run mirror(const RunReport& model) {
  kernel::Run run;
  run.kernel_release = "6.18.0-test";
  for (const OpRecord& op : model.ops) {
    kernel::OpResult k;
    k.line = op.line;
    k.result = op.result;
    for (const Event& e : op.events)
      k.events.push_back({e.type, e.kind, std::string(to_string(e.site)),
                          0xffff888000000000 + e.id * 64, e.id, 1000});
    for (const ProcessRecord& p : op.layout) {
      kernel::ProcessState s;
      s.slot = p.slot;
      s.name = p.name;
      s.alive = true;
      for (const VmaRecord& v : p.vmas) s.vmas.push_back({v.start, v.end, v.prot});
      for (const PageRecord& pg : p.pages)
        s.pages.push_back({pg.page, pg.zero_page, pg.zero_page ? 1 : 0x1000 + pg.folio,
                           pg.zero_page ? 0 : pg.mapcount, false});
      k.after.push_back(std::move(s));
    }
    run.ops.push_back(std::move(k));
  }
  run.live_anon_vma = model.live_anon_vma;
  run.live_avc = model.live_avc;
  return run;
}

kernel::OpResult& at_line(kernel::Run& run, int line) {
  auto it = std::find_if(run.ops.begin(), run.ops.end(),
                         [&](const kernel::OpResult& op) { return op.line == line; });
  if (it == run.ops.end()) {
    ADD_FAILURE() << "no operation on line " << line;
    static kernel::OpResult none;
    return none;
  }
  return *it;
}

kernel::ProcessState& process(kernel::OpResult& op, std::string_view name) {
  for (kernel::ProcessState& p : op.after)
    if (p.name == name) return p;
  ADD_FAILURE() << "no process " << name << " after line " << op.line;
  static kernel::ProcessState none;
  return none;
}

// The one difference the comparison found: exactly one kind, on one
// operation.
const Difference& only_difference(const Comparison& c) {
  std::string all;
  for (const Difference& d : c.first)
    all += "\n  " + std::string(to_string(d.kind)) + " at line " + std::to_string(d.line) + ": " +
           d.message;
  EXPECT_EQ(c.differences, 1u) << all;
  EXPECT_EQ(c.first.size(), 1u) << all;
  static const Difference none{DiffKind::result, 0, "", ""};
  return c.first.empty() ? none : c.first.front();
}

// P faults page 0 (anon_vma #1, AVC #1) and forks C (anon_vma #2, AVCs #2,
// #3), C writes page 0 (a copy), both exit.
constexpr std::string_view kFork =
    "spawn P\n"      // 1
    "P mmap 0 8\n"   // 2
    "P write 0 2\n"  // 3
    "P fork C\n"     // 4
    "C write 0\n"    // 5
    "C exit\n"       // 6
    "P exit\n";      // 7

TEST(VerifyCompareRuns, MirroredRunAgreesWithSnapshots) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  const Comparison c = compare_runs(script, model, mirror(model));
  EXPECT_TRUE(c.agree());
  EXPECT_TRUE(c.compared_snapshots);
  EXPECT_TRUE(c.first.empty());
  ASSERT_EQ(c.ops.size(), 7u);
  EXPECT_EQ(c.ops[3].model, (Counts{1, 0, 2, 0}));
  EXPECT_EQ(c.ops[3].kernel, c.ops[3].model);
}

TEST(VerifyCompareRuns, WithoutSnapshotsLayoutAndPagesAreNotCompared) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  for (kernel::OpResult& op : run.ops) op.after.clear();
  const Comparison c = compare_runs(script, model, run);
  EXPECT_TRUE(c.agree());
  EXPECT_FALSE(c.compared_snapshots);
}

TEST(VerifyCompareRuns, CountsDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // The kernel clones one more AVC at the fork.
  at_line(run, 4).events.push_back({EventType::alloc, ObjectKind::anon_vma_chain, "anon_vma_clone",
                                    0xffff888000100000, 9, 1000});
  const Comparison c = compare_runs(script, model, run);
  ASSERT_FALSE(c.agree());
  EXPECT_EQ(c.differences, 1u);
  ASSERT_GE(c.first.size(), 1u);
  EXPECT_EQ(c.first[0].kind, DiffKind::counts);
  EXPECT_EQ(c.first[0].line, 4);
  EXPECT_EQ(c.first[0].op, "P fork C");
  EXPECT_EQ(c.first[0].message,
            "model (anon_vma +1 -0, AVC +2 -0), kernel (anon_vma +1 -0, AVC +3 -0)");
  // The same operation also has one event the model lacks.
  ASSERT_EQ(c.first.size(), 2u);
  EXPECT_EQ(c.first[1].kind, DiffKind::events);
  EXPECT_EQ(c.first[1].message, "model has 3 events, kernel 4");
  EXPECT_EQ(c.ops[3].differs, (std::vector<DiffKind>{DiffKind::counts, DiffKind::events}));
}

TEST(VerifyCompareRuns, EventOrderDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // Same objects, same counts, but the kernel's first fault allocates the
  // anon_vma before the AVC (the model, like 6.18, allocates the AVC first).
  auto& events = at_line(run, 3).events;
  ASSERT_EQ(events.size(), 2u);
  std::swap(events[0], events[1]);
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::events);
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.op, "P write 0 2");
  EXPECT_EQ(d.message,
            "event 1: model alloc AVC in __anon_vma_prepare, "
            "kernel alloc anon_vma in __anon_vma_prepare");
  EXPECT_EQ(c.ops[2].differs, std::vector<DiffKind>{DiffKind::events});
}

TEST(VerifyCompareRuns, IdentityDifference) {
  // Two anon_vmas from two first faults; unmapping the first frees #1.
  const Script script = parse_or_die(
      "spawn P\n"       // 1
      "P mmap 0 1\n"    // 2
      "P write 0\n"     // 3  anon_vma #1, AVC #1
      "P mmap 10 1\n"   // 4
      "P write 10\n"    // 5  anon_vma #2, AVC #2
      "P munmap 0 1\n"  // 6  frees AVC #1, anon_vma #1
  );
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // The kernel frees the other anon_vma: the one allocated on line 5.
  bool changed = false;
  for (kernel::Event& e : at_line(run, 6).events)
    if (e.type == EventType::free && e.kind == ObjectKind::anon_vma) e.id = 2, changed = true;
  ASSERT_TRUE(changed);
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::identity);
  EXPECT_EQ(d.line, 6);
  EXPECT_EQ(d.op, "P munmap 0 1");
  EXPECT_EQ(d.message,
            "the model frees anon_vma #1, but the kernel frees the one the model "
            "calls #2 (the model's #1 is the kernel's #1)");
  EXPECT_EQ(c.ops[5].model, c.ops[5].kernel);  // the counts agree
}

TEST(VerifyCompareRuns, IdentityOfAnObjectFromBeforeTheScript) {
  const Script script = parse_or_die("spawn P\nP mmap 0 1\nP write 0\nP munmap 0 1\n");
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  for (kernel::Event& e : at_line(run, 4).events)
    if (e.type == EventType::free && e.kind == ObjectKind::anon_vma_chain) e.id = 77;
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::identity);
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.message,
            "the model frees AVC #1, but the kernel frees an object allocated before "
            "the script (the model's #1 is the kernel's #1)");
}

TEST(VerifyCompareRuns, LayoutDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // After the fork the kernel shows C's VMA split in two.
  kernel::ProcessState& c_after = process(at_line(run, 4), "C");
  ASSERT_EQ(c_after.vmas.size(), 1u);
  c_after.vmas = {{0, 2, "rw-p"}, {2, 8, "rw-p"}};
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::layout);
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.op, "P fork C");
  EXPECT_EQ(d.message, "C: model [0,8)rw-p ; kernel [0,2)rw-p [2,8)rw-p");
}

TEST(VerifyCompareRuns, LayoutDifferenceInProcesses) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // After C's exit the kernel still shows it alive.
  kernel::OpResult& op = at_line(run, 6);
  op.after.push_back(at_line(run, 5).after.back());
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::layout);
  EXPECT_EQ(d.line, 6);
}

TEST(VerifyCompareRuns, PageSharingDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // After the fork P and C share pages 0 and 1 (mapcount 2 each). On this
  // kernel, C's pages are crossed: its page 0 is P's page 1's frame.
  kernel::ProcessState& c_after = process(at_line(run, 4), "C");
  ASSERT_EQ(c_after.pages.size(), 2u);
  ASSERT_EQ(c_after.pages[0].mapcount, 2u);
  std::swap(c_after.pages[0].pfn, c_after.pages[1].pfn);
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::pages);
  EXPECT_EQ(d.line, 4);
  // Processes are visited by name (C before P); C's pages name the frames.
  EXPECT_EQ(d.message,
            "P page 0: shares its page with C page 1 on the kernel, with C page 0 in the model");
}

TEST(VerifyCompareRuns, PageCopyDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  // C's write on line 5 should copy page 0; this kernel reuses P's page.
  kernel::OpResult& op = at_line(run, 5);
  kernel::ProcessState& c_after = process(op, "C");
  kernel::ProcessState& p_after = process(op, "P");
  c_after.pages[0].pfn = p_after.pages[0].pfn;
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::pages);
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(d.message,
            "P page 0: shares its page with C page 0 on the kernel, with nobody before it in "
            "the model");
}

TEST(VerifyCompareRuns, MapcountAndZeroPageDifferences) {
  const Script script = parse_or_die("spawn P\nP mmap 0 4\nP read 0\nP write 1\n");
  const RunReport model = model_of(script);
  {
    kernel::Run run = mirror(model);
    process(at_line(run, 3), "P").pages[0].zero_page = false;
    const Comparison c = compare_runs(script, model, run);
    const Difference& d = only_difference(c);
    EXPECT_EQ(d.kind, DiffKind::pages);
    EXPECT_EQ(d.line, 3);
    EXPECT_EQ(d.message, "P page 0: zero page in the model, a page on the kernel");
  }
  {
    kernel::Run run = mirror(model);
    process(at_line(run, 4), "P").pages[1].mapcount = 3;
    const Comparison c = compare_runs(script, model, run);
    const Difference& d = only_difference(c);
    EXPECT_EQ(d.kind, DiffKind::pages);
    EXPECT_EQ(d.line, 4);
    EXPECT_EQ(d.message, "P page 1: mapcount 1 in the model, 3 on the kernel");
  }
  {
    kernel::Run run = mirror(model);
    process(at_line(run, 4), "P").pages.pop_back();
    const Comparison c = compare_runs(script, model, run);
    const Difference& d = only_difference(c);
    EXPECT_EQ(d.message, "P page 1: mapped in the model, not on the kernel");
  }
}

TEST(VerifyCompareRuns, ResultDifference) {
  const Script script = parse_or_die("spawn P\nP mmap 0 4\nP mremap 0 4 100 4\n");
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  at_line(run, 3).result = "EFAULT";
  const Comparison c = compare_runs(script, model, run);
  ASSERT_FALSE(c.first.empty());
  EXPECT_EQ(c.first[0].kind, DiffKind::result);
  EXPECT_EQ(c.first[0].line, 3);
  EXPECT_EQ(c.first[0].message, "model returns ok, kernel returns EFAULT");
}

TEST(VerifyCompareRuns, FirstDifferenceOfEachKindIsTheEarliest) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  process(at_line(run, 4), "C").vmas.front().prot = "r--p";
  process(at_line(run, 5), "C").vmas.front().prot = "r--p";
  const Comparison c = compare_runs(script, model, run);
  EXPECT_EQ(c.differences, 2u);
  ASSERT_EQ(c.first.size(), 1u);
  EXPECT_EQ(c.first[0].line, 4);
  EXPECT_EQ(c.ops[4].differs, std::vector<DiffKind>{DiffKind::layout});
}

TEST(VerifyCompareRuns, MissingOperationIsAResultDifference) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  run.ops.pop_back();
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::result);
  EXPECT_EQ(d.line, 7);
  EXPECT_EQ(d.message, "the model recorded 7 operations, the kernel 6");
  ASSERT_EQ(c.ops.size(), 7u);
  EXPECT_EQ(c.ops[6].kernel_result, "(none)");
}

TEST(VerifyCompareRuns, JsonNamesTheFirstDifferences) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  process(at_line(run, 4), "C").vmas.front().end = 7;
  const nlohmann::json j = to_json(compare_runs(script, model, run));
  EXPECT_EQ(j["agree"], false);
  EXPECT_EQ(j["operations_differing"], 1);
  EXPECT_EQ(j["first_difference"]["layout"]["line"], 4);
  EXPECT_EQ(j["ops"][3]["differs"], nlohmann::json::array({"layout"}));
}

// --- streaming: RunComparer and partial snapshots ---

// Only the processes an operation touched, as the runner records them with
// snapshot_touched.
void keep_only(kernel::OpResult& op, std::initializer_list<std::string_view> names) {
  std::erase_if(op.after, [&](const kernel::ProcessState& p) {
    return std::find(names.begin(), names.end(), p.name) == names.end();
  });
  op.after_all = false;
}

TEST(VerifyRunComparer, WithoutRowsKeepsTheVerdictOnly) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  at_line(run, 4).result = "ENOMEM";
  RunComparer c(script, /*keep_ops=*/false);
  for (std::size_t i = 0; i < model.ops.size(); ++i) c.op(model.ops[i], run.ops[i]);
  const Comparison out = c.take();
  EXPECT_TRUE(out.ops.empty());
  EXPECT_EQ(out.operations, 7u);
  EXPECT_EQ(out.differences, 1u);
  ASSERT_FALSE(out.first.empty());
  EXPECT_EQ(out.first[0].kind, DiffKind::result);
  EXPECT_EQ(out.first[0].line, 4);
  EXPECT_EQ(out.first[0].message, "model returns ok, kernel returns ENOMEM");
}

// A partial snapshot compares the processes it lists: C's layout after P's
// write is not looked at, P's is.
TEST(VerifyRunComparer, PartialSnapshotComparesTheListedProcesses) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  kernel::OpResult& write = at_line(run, 5);  // C write 0
  process(write, "P").vmas = {{0, 8, "r--p"}};
  keep_only(write, {"C"});
  EXPECT_TRUE(compare_runs(script, model, run).agree());

  kernel::Run run2 = mirror(model);
  kernel::OpResult& write2 = at_line(run2, 5);
  process(write2, "C").vmas = {{0, 8, "r--p"}};
  keep_only(write2, {"C"});
  const Comparison c = compare_runs(script, model, run2);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::layout);
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(d.message, "C: model [0,8)rw-p ; kernel [0,8)r--p");
}

// An exited process listed by a partial snapshot must be gone in the model.
TEST(VerifyRunComparer, PartialSnapshotOfAnExit) {
  const Script script = parse_or_die(kFork);
  const RunReport model = model_of(script);
  kernel::Run run = mirror(model);
  kernel::OpResult& exit = at_line(run, 6);  // C exit
  exit.after = {kernel::ProcessState{1, "C", false, {}, {}}};
  exit.after_all = false;
  EXPECT_TRUE(compare_runs(script, model, run).agree());

  // The kernel says P exited there too; the model has it alive.
  exit.after.push_back(kernel::ProcessState{0, "P", false, {}, {}});
  const Comparison c = compare_runs(script, model, run);
  const Difference& d = only_difference(c);
  EXPECT_EQ(d.kind, DiffKind::layout);
  EXPECT_EQ(d.message, "P: alive in the model, exited on the kernel");
}

// --- many scripts: lines, totals, errors, progress ---

TEST(VerifyMany, SourceLineNamesTheReplayOfAFailingSeed) {
  Verification v;
  v.operations = 60;
  v.outcome = Verification::Outcome::differ;
  v.comparison.differences = 1;
  v.comparison.first = {{DiffKind::pages, 40, "C3 write 12", "..."}};
  const GenerateOptions g{.count = 1, .seed = 17, .procs = 8, .ops = 60};
  EXPECT_EQ(source_line({"seed-17.rml", 17}, 11, v, g),
            "seed-17.rml    60 ops  1 op differ: pages at line 40 (C3 write 12): ...\n"
            "    replay: rmaplab gen --seed 17 --procs 8 --ops 60 > seed-17.rml && rmaplab "
            "verify seed-17.rml");
  v.outcome = Verification::Outcome::agree;
  v.comparison = {};
  EXPECT_EQ(source_line({"x.rml", std::nullopt}, 5, v, g), "x.rml    60 ops  agree");
  const nlohmann::json j = source_json({"seed-17.rml", 17}, v, g);
  EXPECT_EQ(j["generated_by"], "rmaplab gen --seed 17 --procs 8 --ops 60");
}

TEST(VerifyMany, TotalsLine) {
  VerifyTotals t;
  t.scripts = 4;
  t.outcomes[std::size_t(Verification::Outcome::agree)] = 2;
  t.outcomes[std::size_t(Verification::Outcome::differ)] = 1;
  t.outcomes[std::size_t(Verification::Outcome::script_error)] = 1;
  t.failing_seeds = {17};
  EXPECT_EQ(totals_line(t, false),
            "total: 4 scripts, 2 agree, 1 differ, 1 script error; failing seeds: 17");
  EXPECT_EQ(totals_json(t)["differ"], 1);
  VerifyTotals ran;
  ran.scripts = 1;
  ran.outcomes[std::size_t(Verification::Outcome::ran)] = 1;
  EXPECT_EQ(totals_line(ran, true), "total: 1 script, 1 ran");
}

TEST(VerifyMany, ErrorJsonReadsThePlaceFromTheSentence) {
  EXPECT_EQ(error_json("a.rml:3:9: P writes page 0, which is not mapped"),
            (nlohmann::json{{"error",
                             {{"message", "a.rml:3:9: P writes page 0, which is not mapped"},
                              {"file", "a.rml"},
                              {"line", 3},
                              {"column", 9}}}}));
  const nlohmann::json line_only = error_json("a.rml:20: P fork C: process P: died");
  EXPECT_EQ(line_only["error"]["line"], 20);
  EXPECT_TRUE(line_only["error"]["column"].is_null());
  const nlohmann::json none = error_json("rmaplab verify: no .rml scripts in x");
  EXPECT_TRUE(none["error"]["file"].is_null());
  EXPECT_TRUE(none["error"]["line"].is_null());
}

// On a terminal (a pseudo-terminal here) the line is drawn, redrawn at most
// ten times a second, and erased; on a pipe nothing is written.
TEST(VerifyMany, ProgressLineOnlyOnATerminal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    report::ProgressLine p(fds[1], 100);
    EXPECT_FALSE(p.active());
    p.update(50);
  }
  close(fds[1]);
  char c;
  EXPECT_EQ(read(fds[0], &c, 1), 0);
  close(fds[0]);

  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(tty, 0);
  termios raw;
  tcgetattr(tty, &raw);
  cfmakeraw(&raw);
  tcsetattr(tty, TCSANOW, &raw);
  bool within_a_tenth = false;
  {
    report::ProgressLine p(tty, 100000);
    EXPECT_TRUE(p.active());
    const auto start = std::chrono::steady_clock::now();
    p.update(12000);
    p.update(13000);  // within 0.1 s: not drawn
    within_a_tenth = std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100);
  }
  // A pseudo-terminal may hand the bytes over in pieces: read until it is quiet.
  std::string shown;
  char buf[256];
  for (pollfd p{master, POLLIN, 0}; poll(&p, 1, 200) == 1;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    shown.append(buf, std::size_t(n));
  }
  // A machine so loaded that the two calls were 0.1 s apart redraws, rightly.
  EXPECT_EQ(shown,
            std::string("\r\033[Kverify: 12,000 of 100,000 operations") +
                (within_a_tenth ? "" : "\r\033[Kverify: 13,000 of 100,000 operations") +
                "\r\033[K");
  close(tty);
  close(master);
}

// --- verify_script's summary line and JSON (no kernel: hand-made verdicts) ---

TEST(VerifySummary, Lines) {
  Verification v;
  v.operations = 14;
  v.outcome = Verification::Outcome::agree;
  EXPECT_EQ(summary_line("examples/03-fork.rml", 22, v), "examples/03-fork.rml      14 ops  agree");

  v.outcome = Verification::Outcome::differ;
  v.comparison.differences = 2;
  v.comparison.first = {{DiffKind::counts, 20, "P fork C", "model (...), kernel (...)"},
                        {DiffKind::identity, 21, "C exit", "the model frees anon_vma #3, ..."}};
  EXPECT_EQ(
      summary_line("x.rml", 5, v),
      "x.rml    14 ops  2 ops differ: counts at line 20 (P fork C): model (...), kernel (...)\n"
      "    identity at line 21 (C exit): the model frees anon_vma #3, ...");

  v.outcome = Verification::Outcome::script_error;
  v.error = "bad.rml:3:1: unknown process 'Q'";
  EXPECT_EQ(summary_line("bad.rml", 7, v),
            "bad.rml  script error: bad.rml:3:1: unknown process 'Q'");

  const nlohmann::json j = to_json("bad.rml", v);
  EXPECT_EQ(j["outcome"], "script_error");
  EXPECT_EQ(j["error"], v.error);
  EXPECT_FALSE(j.contains("comparison"));
}

TEST(VerifySummary, LargeFolioNote) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / fmt::format("rmaplab-thp-{}", ::getpid());
  auto put = [&](const fs::path& file, const char* text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  };
  put(root / "enabled", "always [madvise] never\n");
  put(root / "hugepages-2048kB/enabled", "always [inherit] madvise never\n");
  put(root / "hugepages-64kB/enabled", "always inherit madvise [never]\n");
  EXPECT_EQ(large_folio_note(root.string()), "");
  put(root / "hugepages-64kB/enabled", "[always] inherit madvise never\n");
  put(root / "hugepages-16kB/enabled", "[always] inherit madvise never\n");
  EXPECT_TRUE(large_folio_note(root.string())
                  .starts_with("note: this kernel gives anonymous "
                               "faults large folios unasked (16kB, "
                               "64kB: "))
      << large_folio_note(root.string());
  put(root / "enabled", "[always] madvise never\n");
  EXPECT_NE(large_folio_note(root.string()).find("(16kB, 64kB, 2048kB: "), std::string::npos);
  EXPECT_EQ(large_folio_note((root / "missing").string()), "");
  fs::remove_all(root);
}

}  // namespace
}  // namespace rmaplab
