// The invariant checker, as a specification.
//
// Part 1: states the model really reaches (built by running small scripts)
// pass the checker. Part 2: for each rule, one planted corruption of such a
// state, and the checker must name that rule and the corrupted object.
// Counters can only be corrupted through anon_vma_test_access (the model
// never writes them outside its named operations); links, pgoffs, folios and
// page tables are public fields.
#include "check/check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "check/anon_vma_test_access.h"
#include "model/machine.h"
#include "model/rmap.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"
#include "run/model_of.h"

namespace rmaplab {
namespace {

using model::anon_vma;
using model::anon_vma_chain;
using model::anon_vma_test_access;

using model::vm_area_struct;

// A machine with a script run through it, and its objects by name.
class World {
 public:
  explicit World(std::string_view text) : script_(parse(text)), machine_(env_) {
    for (const Op& op : script_.ops) {
      const model::OpResult r = machine_.apply(op);
      EXPECT_FALSE(r.fault) << "line " << op.line << " faults";
    }
    // What a test plants comes after this, as an operation would; the test
    // marks what it changed, as the model's touch calls would.
    env_.reset_touched();
  }

  std::optional<Finding> check() const { return check_invariants(machine_, script_.procs); }
  std::optional<Finding> check_touched() const {
    return rmaplab::check_touched(machine_, script_.procs);
  }

  model::Env& env() { return env_; }
  model::mm_struct& proc(std::string_view name) {
    for (std::size_t slot = 0; slot < script_.procs.size(); ++slot)
      if (script_.procs[slot] == name) return *machine_.process(static_cast<int>(slot));
    ADD_FAILURE() << "no process " << name;
    std::abort();
  }
  // The VMA of `name` that contains `page`.
  vm_area_struct& vma(std::string_view name, std::uint32_t page) {
    vm_area_struct* v = proc(name).vma_lookup(page);
    if (!v) {
      ADD_FAILURE() << name << " has no VMA at page " << page;
      std::abort();
    }
    return *v;
  }
  // "P vma#3 [0,8)": how the checker names a VMA.
  std::string vma_name(std::string_view name, std::uint32_t page) {
    const vm_area_struct& v = vma(name, page);
    return fmt::format("{} vma#{} [{},{})", name, v.id, v.vm_start, v.vm_end);
  }
  // The live anon_vma with this id (ids count allocations from 1).
  anon_vma& av(std::uint32_t id) {
    for (anon_vma* a : env_.anon_vmas())
      if (a->id() == id) return *a;
    ADD_FAILURE() << "no live anon_vma #" << id;
    std::abort();
  }
  model::folio& folio_at(std::string_view name, std::uint32_t page) {
    model::folio* f = proc(name).ptes.get(page).page;
    if (!f || model::is_zero_page(f)) {
      ADD_FAILURE() << name << " maps no folio at page " << page;
      std::abort();
    }
    return *f;
  }
  // The AVC on `v`'s chain that links it to `av`.
  static anon_vma_chain& avc(vm_area_struct& v, const anon_vma& a) {
    anon_vma_chain* found = nullptr;
    v.for_each_avc([&](anon_vma_chain& c) {
      if (c.anon_vma == &a) found = &c;
    });
    if (!found) {
      ADD_FAILURE() << "vma#" << v.id << " has no AVC for anon_vma #" << a.id();
      std::abort();
    }
    return *found;
  }

 private:
  static Script parse(std::string_view text) {
    auto s = parse_script(text, "test.rml");
    if (!s) {
      ADD_FAILURE() << s.error().message;
      return {};
    }
    return std::move(s.value());
  }

  Script script_;
  model::Env env_;
  model::Machine machine_;
};

// Runs `text` with the checker after every operation, as `rmaplab run --check`
// does; returns the first violation.
std::optional<Violation> first_violation(std::string_view text) {
  auto script = parse_script(text, "test.rml");
  EXPECT_TRUE(script.ok()) << (script.ok() ? "" : script.error().message);
  if (!script) return std::nullopt;
  RunOptions options;
  options.check = true;
  auto report = run_script(*script, options);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  if (!report) return std::nullopt;
  return report->violation;
}

// The checker found nothing; otherwise the finding, readably.
::testing::AssertionResult Clean(const std::optional<Finding>& f) {
  if (!f) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << f->rule << ": " << f->message;
}
::testing::AssertionResult Clean(const std::optional<Violation>& v) {
  if (!v) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "after line " << v->line << " (" << v->op << "): " << v->rule << ": " << v->message;
}

// The finding names `rule` (its id, e.g. "I6") and mentions every `object`.
::testing::AssertionResult Reports(const std::optional<Finding>& f, std::string_view rule,
                                   std::initializer_list<std::string_view> objects) {
  if (!f) return ::testing::AssertionFailure() << "the checker found nothing";
  if (f->rule.substr(0, f->rule.find(' ')) != rule)
    return ::testing::AssertionFailure()
           << "rule " << f->rule << ", not " << rule << ": " << f->message;
  for (std::string_view o : objects)
    if (f->message.find(o) == std::string::npos)
      return ::testing::AssertionFailure()
             << "the message does not name " << o << ": " << f->message;
  return ::testing::AssertionSuccess() << f->rule << ": " << f->message;
}

// Both checks name `rule` and every object: the full one, and check_touched
// over what the test marked touched.
::testing::AssertionResult BothReport(const World& w, std::string_view rule,
                                      std::initializer_list<std::string_view> objects) {
  if (auto r = Reports(w.check(), rule, objects); !r) return r << " (check_invariants)";
  return Reports(w.check_touched(), rule, objects) << " (check_touched)";
}

// One process, one faulted 8-page VMA: root anon_vma #1, 8 folios.
constexpr std::string_view kFaulted = R"(
spawn P
P mmap 0 8
P write 0 8
)";

// P's VMA forked into C: C's VMA has anon_vma #2 (parent #1), chain [#2, #1],
// and shares P's 8 folios.
constexpr std::string_view kForked = R"(
spawn P
P mmap 0 8
P write 0 8
P fork C
)";

// ----------------------------------------------------------------------------
// Part 1: states the model reaches pass.

TEST(CheckPasses, FreshProcessAndNothingAtAll) {
  World w("spawn P\n");
  EXPECT_TRUE(Clean(w.check()));
  World empty("");
  EXPECT_TRUE(Clean(empty.check()));
}

TEST(CheckPasses, FirstFault) {
  EXPECT_TRUE(Clean(first_violation(R"(
spawn P
P mmap 0 16
P read 0           # zero page: still unfaulted
P write 0          # root #1
P write 1 15
P mmap 100 4
P write 100        # its own root #2
)")));
}

TEST(CheckPasses, NeighbourReuse) {
  //  0123 4567
  //  rw-  rwx-    the second half borrows the first half's anon_vma
  World w(R"(
spawn P
P mmap 0 8
P mprotect 4 4 rwx
P write 0
P write 4
)");
  ASSERT_EQ(w.vma("P", 0).anon_vma, w.vma("P", 4).anon_vma);
  EXPECT_TRUE(Clean(w.check()));
}

TEST(CheckPasses, ForkChainsWithReuse) {
  EXPECT_TRUE(Clean(first_violation(R"(
spawn G0
G0 mmap 0 8
G0 write 0 8
G0 fork G1
G0 exit
G1 fork G2
G1 exit
G2 fork G3         # reuses G1's anon_vma
G2 write 3         # COW copy
G3 write 4         # COW copy
G2 exit
G3 write 5         # reuse: folio moves to G3's anon_vma
G3 fork G4
G3 exit
G4 fork G5
G5 write 0 8
G4 exit
G5 exit
)")));
}

TEST(CheckPasses, SplitAndMerge) {
  EXPECT_TRUE(Clean(first_violation(R"(
spawn P
P mmap 0 16
P write 0 16
P mprotect 4 4 r   # split in three
P mprotect 4 4 rw  # merged back
P fork C
C mprotect 2 4 r   # fork child: split
C mprotect 2 4 rw
C madvise 8 4 dontfork
C fork D
C madvise 8 4 dofork
D munmap 1 2
P munmap 6 4
)")));
}

TEST(CheckPasses, Mremap) {
  EXPECT_TRUE(Clean(first_violation(R"(
spawn P
P mmap 0 8
P write 0 8
P mremap 0 8 100 8     # move
P mremap 100 8 100 12  # grow in place
P write 108 4
P mremap 102 4 50 4    # move a middle part
P fork C
C mremap 50 4 0 4
C mremap 100 2 100 1   # shrink
)")));
}

TEST(CheckPasses, SharedMemoryAndMapFixed) {
  EXPECT_TRUE(Clean(first_violation(R"(
spawn P
P mmap 0 8 rw shared
P write 0 4
P mmap 8 8
P write 8 8
P fork C
C read 0 8
C write 4
P mmap 10 2          # MAP_FIXED over faulted pages
C exit
)")));
}

TEST(CheckPasses, ExitOfEverythingLeavesNothing) {
  World w(R"(
spawn P
P mmap 0 8
P write 0 8
P mmap 20 4 rw shared
P write 20 4
P fork C
C fork D
C write 0
P exit
D exit
C exit
)");
  EXPECT_TRUE(Clean(w.check()));
  EXPECT_EQ(w.env().live_anon_vmas(), 0u);
  EXPECT_EQ(w.env().live_avcs(), 0u);
  EXPECT_EQ(w.env().live_folios(), 0u);
}

// Every commented example, checked after every line.
TEST(CheckPasses, EveryExample) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(RMAPLAB_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".rml") continue;
    ++n;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(Clean(first_violation(text.str()))) << entry.path().filename();
  }
  EXPECT_GT(n, 0);
}

// ----------------------------------------------------------------------------
// Part 2: each rule, broken once, is the one reported.

TEST(CheckFails, I1AnonVmaWithoutChain) {
  World w(kFaulted);
  w.vma("P", 0).anon_vma = nullptr;  // the chain still holds #1
  w.env().touch(&w.vma("P", 0));
  EXPECT_TRUE(BothReport(w, "I1", {w.vma_name("P", 0), "anon_vma #1"}));
}

TEST(CheckFails, I2AnonVmaNotOnChain) {
  World w(R"(
spawn P
P mmap 0 4
P write 0          # root #1
P mmap 10 4
P write 10         # root #2
)");
  w.vma("P", 0).anon_vma = &w.av(2);  // chain still [#1]
  w.env().touch(&w.vma("P", 0));
  EXPECT_TRUE(BothReport(w, "I2", {w.vma_name("P", 0), "anon_vma #2"}));
}

TEST(CheckFails, I2TwoAvcsForOneAnonVma) {
  World w(kFaulted);
  anon_vma_chain* extra = w.env().alloc_avc(CallSite::anon_vma_clone);
  model::anon_vma_chain_link(&w.vma("P", 0), extra, &w.av(1));
  w.env().touch(&w.vma("P", 0));
  w.env().touch(&w.av(1));
  w.env().touch_chain_link(+1);
  EXPECT_TRUE(BothReport(w, "I2", {w.vma_name("P", 0), "two AVCs for anon_vma #1"}));
}

TEST(CheckFails, I3AvcOnListButNotInTree) {
  World w(kForked);
  anon_vma& root = w.av(1);
  root.rb_root.erase(World::avc(w.vma("C", 0), root));  // still on C's list
  w.env().touch(&root);
  w.env().touch(&w.vma("C", 0));
  EXPECT_TRUE(BothReport(w, "I3", {"AVC (" + w.vma_name("C", 0) + ", anon_vma #1)", "not in"}));
}

TEST(CheckFails, I3PgoffChangedWithoutReinsertingAvcs) {
  World w(kFaulted);
  vm_area_struct& v = w.vma("P", 0);
  v.vm_pgoff += 100;  // the tree still files it under the old range
  w.env().touch_range(&v, v.vm_start, v.vm_end, v.vm_pgoff - 100);
  EXPECT_TRUE(
      BothReport(w, "I3", {"anon_vma #1", "AVC (" + w.vma_name("P", 0) + ", anon_vma #1)"}));
}

TEST(CheckFails, I3TreeHoldsAnAvcNoChainLists) {
  World w(kForked);
  anon_vma_chain* stray = w.env().alloc_avc(CallSite::anon_vma_clone);
  stray->vma = &w.vma("C", 0);
  stray->anon_vma = &w.av(2);
  w.av(2).rb_root.insert(*stray);  // but not on C's list
  w.env().touch(&w.av(2));
  w.env().touch(&w.vma("C", 0));
  EXPECT_TRUE(BothReport(w, "I3", {"anon_vma #2", "holds 2 AVCs", "is on no VMA's chain"}));
}

TEST(CheckFails, I3AvcAllocatedButNeverLinked) {
  World w(kFaulted);
  w.env().alloc_avc(CallSite::anon_vma_prepare);
  EXPECT_TRUE(BothReport(w, "I3", {"2 anon_vma_chains are allocated", "hold 1"}));
}

TEST(CheckFails, I3AvcNamesAnotherVma) {
  World w(kForked);  // P's and C's VMAs have the same range, so the tree keys stay right
  World::avc(w.vma("P", 0), w.av(1)).vma = &w.vma("C", 0);
  w.env().touch(&w.vma("P", 0));
  EXPECT_TRUE(BothReport(w, "I3", {w.vma_name("P", 0), fmt::format("vma#{}", w.vma("C", 0).id)}));
}

TEST(CheckFails, I3ChainListWithBrokenLinks) {
  World w(kForked);
  vm_area_struct& c = w.vma("C", 0);
  c.anon_vma_chain.next->next = c.anon_vma_chain.next;  // #2's AVC now loops onto itself
  w.env().touch(&c);
  EXPECT_TRUE(BothReport(w, "I3", {w.vma_name("C", 0), "inconsistent"}));
  c.anon_vma_chain.next->next = c.anon_vma_chain.prev;  // repaired, for the Env's teardown
}

TEST(CheckFails, I4ChainMixesFamilies) {
  World w(R"(
spawn P
P mmap 0 4
P write 0          # root #1
P mmap 10 4
P write 10         # root #2
)");
  anon_vma_chain* avc = w.env().alloc_avc(CallSite::anon_vma_clone);
  model::anon_vma_chain_link(&w.vma("P", 0), avc, &w.av(2));  // [#2, #1]
  w.env().touch(&w.vma("P", 0));
  w.env().touch(&w.av(2));
  w.env().touch_chain_link(+1);
  EXPECT_TRUE(BothReport(w, "I4", {w.vma_name("P", 0), "anon_vma #1", "anon_vma #2"}));
}

TEST(CheckFails, I4ChainNotClosedUnderParent) {
  World w(kForked);
  vm_area_struct& c = w.vma("C", 0);
  anon_vma_chain& to_root = World::avc(c, w.av(1));
  w.av(1).rb_root.erase(to_root);  // P's AVC keeps #1's tree non-empty
  to_root.same_vma.del();
  w.env().free_avc(&to_root, CallSite::unlink_anon_vmas);
  w.env().touch(&c);
  w.env().touch(&w.av(1));
  w.env().touch_chain_link(-1);
  EXPECT_TRUE(
      BothReport(w, "I4", {w.vma_name("C", 0), "anon_vma #2 but not its parent anon_vma #1"}));
}

TEST(CheckFails, I5ParentBeforeChild) {
  World w(kForked);
  vm_area_struct& c = w.vma("C", 0);
  model::list_head* newest = c.anon_vma_chain.next;  // #2's AVC
  newest->del();
  c.anon_vma_chain.add_tail(newest);  // [#1, #2]
  w.env().touch(&c);
  EXPECT_TRUE(
      BothReport(w, "I5", {w.vma_name("C", 0), "anon_vma #2 after its parent anon_vma #1"}));
}

TEST(CheckFails, I6NumActiveVmas) {
  World w(kForked);
  ++anon_vma_test_access::num_active_vmas(w.av(2));
  w.env().touch(&w.av(2));
  EXPECT_TRUE(BothReport(w, "I6", {"anon_vma #2", "num_active_vmas 2", w.vma_name("C", 0)}));
}

TEST(CheckFails, I7NumChildren) {
  World w(kForked);
  --anon_vma_test_access::num_children(w.av(1));  // forgets #2 (or its self link)
  w.env().touch(&w.av(1));
  EXPECT_TRUE(BothReport(w, "I7", {"anon_vma #1", "num_children 1", "anon_vma #2"}));
}

TEST(CheckFails, I8Refcount) {
  World w(kForked);
  ++anon_vma_test_access::refcount(w.av(1));  // 1 (linked) + 1 (#2 pins it) + a stray one
  w.env().touch(&w.av(1));
  EXPECT_TRUE(BothReport(w, "I8", {"anon_vma #1", "refcount 3"}));
}

TEST(CheckFails, I8RefcountOfANonRoot) {
  World w(kForked);  // #2 is linked, and a non-root pins nothing: refcount 1
  --anon_vma_test_access::refcount(w.av(2));
  w.env().touch(&w.av(2));
  EXPECT_TRUE(BothReport(w, "I8", {"anon_vma #2", "refcount 0"}));
}

TEST(CheckFails, I9ParentInAnotherFamily) {
  World w(R"(
spawn P
P mmap 0 8
P write 0 8        # root #1
P fork C           # #2, child of #1
P mmap 20 4
P write 20         # root #3
)");
  anon_vma_test_access::parent(w.av(2)) = &w.av(3);
  w.env().touch(&w.av(2));
  EXPECT_TRUE(BothReport(w, "I9", {"anon_vma #2", "has parent anon_vma #3", "another family"}));
}

TEST(CheckFails, I9ParentCycle) {
  World w(R"(
spawn P
P mmap 0 8
P write 0 8        # root #1
P fork C           # #2, child of #1
C fork D           # #3, child of #2
)");
  anon_vma_test_access::parent(w.av(2)) = &w.av(3);  // #2 -> #3 -> #2
  w.env().touch(&w.av(2));
  EXPECT_TRUE(BothReport(w, "I9", {"comes back", "without reaching the root anon_vma #1"}));
}

TEST(CheckFails, I9RootThatIsNotItsOwnParent) {
  World w(kForked);
  anon_vma_test_access::parent(w.av(1)) = &w.av(2);
  w.env().touch(&w.av(1));
  EXPECT_TRUE(BothReport(w, "I9", {"root anon_vma #1 has parent anon_vma #2"}));
}

TEST(CheckFails, I10FolioPointsAtAnotherAnonVma) {
  World w(R"(
spawn P
P mmap 0 4
P write 0          # root #1
P mmap 10 4
P write 10         # root #2
)");
  model::folio& f = w.folio_at("P", 0);
  f.mapping = &w.av(2);
  f.mapping_id = 2;
  w.env().touch(&f);
  EXPECT_TRUE(
      BothReport(w, "I10", {fmt::format("folio #{}", f.id), "P page 0", "anon_vma #2", "no AVC"}));
}

TEST(CheckFails, I10FolioIndexNotLinear) {
  World w(kFaulted);
  model::folio& f = w.folio_at("P", 3);
  ++f.index;  // an rmap walk would look for it at page 4
  w.env().touch(&f);
  EXPECT_TRUE(
      BothReport(w, "I10", {fmt::format("folio #{}", f.id), "P page 3", w.vma_name("P", 0)}));
}

TEST(CheckFails, I10FolioMappingFreed) {
  World w(kFaulted);
  model::folio& f = w.folio_at("P", 0);
  f.mapping_id = 99;  // the object at that address is no longer the recorded one
  w.env().touch(&f);
  EXPECT_TRUE(BothReport(w, "I10", {fmt::format("folio #{}", f.id), "freed"}));
}

TEST(CheckFails, I11SameAnonVmaDifferentChains) {
  // P -> C -> D; P and C exit; D's fork E reuses C's anon_vma #2 with chain
  // [#3, #2, #1]. E splits its VMA in two, both on #2; one piece then loses
  // its link to #3 (still linked from D, so no counter changes).
  World w(R"(
spawn P
P mmap 0 8
P write 0 8        # #1
P fork C           # #2
C fork D           # #3
P exit
C exit
D fork E           # reuses #2
E mprotect 4 4 r
)");
  ASSERT_EQ(w.vma("E", 0).anon_vma, &w.av(2));
  vm_area_struct& low = w.vma("E", 0);
  anon_vma_chain& to3 = World::avc(low, w.av(3));
  w.av(3).rb_root.erase(to3);
  to3.same_vma.del();
  w.env().free_avc(&to3, CallSite::unlink_anon_vmas);
  w.env().touch(&low);
  w.env().touch(&w.av(3));
  w.env().touch_chain_link(-1);
  EXPECT_TRUE(BothReport(
      w, "I11", {w.vma_name("E", 0), w.vma_name("E", 4), "share anon_vma #2", "anon_vma #3"}));
}

TEST(CheckFails, I12AnAvcOutlivesEveryProcess) {
  World w(R"(
spawn P
P mmap 0 8
P write 0 8
P fork C
P exit
C exit
)");
  ASSERT_TRUE(Clean(w.check()));
  w.env().alloc_avc(CallSite::anon_vma_prepare);  // allocated, never freed
  EXPECT_TRUE(BothReport(w, "I12", {"1 anon_vma_chain is still allocated"}));
}

TEST(CheckFails, I12AnAnonVmaOutlivesEveryProcess) {
  World w("spawn P\nP mmap 0 8\nP write 0\nP exit\n");
  anon_vma* leaked = model::anon_vma_create_root(w.env(), CallSite::anon_vma_prepare);
  EXPECT_TRUE(BothReport(w, "I12", {fmt::format("anon_vma #{}", leaked->id())}));
}

TEST(CheckFails, B1VmasOverlap) {
  World w("spawn P\nP mmap 0 4\nP mmap 8 4 r\n");
  w.vma("P", 0).vm_end = 10;  // [0,10) runs into [8,12)
  w.env().touch(&w.vma("P", 0));
  EXPECT_TRUE(BothReport(w, "B1", {"P vma#1 [0,10)", "overlaps", "P vma#2 [8,12)"}));
}

TEST(CheckFails, B1VmaInNoAddressSpace) {
  World w(kFaulted);
  w.env().alloc_vma();  // allocated, never inserted
  EXPECT_TRUE(BothReport(w, "B1", {"2 vm_area_structs are allocated", "hold 1"}));
}

TEST(CheckFails, B2MapcountOffByOne) {
  World w(kForked);
  model::folio& f = w.folio_at("P", 5);
  ++f.mapcount;  // P and C map it: 2
  w.env().touch(&f);
  EXPECT_TRUE(BothReport(w, "B2", {fmt::format("folio #{} has mapcount 3", f.id), "2 PTEs"}));
}

TEST(CheckFails, B3AnonFolioInUnfaultedVma) {
  World w("spawn P\nP mmap 0 4\nP write 0\nP mmap 10 4\nP read 10\n");
  model::folio& f = w.folio_at("P", 0);
  w.proc("P").ptes.set(10, &f);  // replaces a zero-page PTE
  ++f.mapcount;
  w.env().touch_pages(w.proc("P").slot, 10, 11);
  w.env().touch(&f);
  EXPECT_TRUE(
      BothReport(w, "B3", {w.vma_name("P", 10), fmt::format("folio #{}", f.id), "no anon_vma"}));
}

// The CLI's path: Simulation::check() names the line and operation after
// which the state was found broken.
TEST(CheckViolation, NamesTheOperation) {
  auto script = parse_script("spawn P\nP mmap 0 8\nP write 0 8\nP fork C\n", "sim.rml");
  ASSERT_TRUE(script.ok());
  Simulation sim(*script, RunOptions{});
  while (!sim.done()) ASSERT_TRUE(sim.step().ok());
  EXPECT_TRUE(Clean(sim.check()));

  // Machine is handed out const; the objects are not.
  anon_vma* child = nullptr;
  for (anon_vma* a : machine_of(sim).env().anon_vmas())
    if (!a->is_root()) child = a;
  ASSERT_NE(child, nullptr);
  ++anon_vma_test_access::num_active_vmas(*child);

  const std::optional<Violation> v = sim.check();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->rule.substr(0, 2), "I6");
  EXPECT_EQ(v->line, 4);
  EXPECT_EQ(v->op, "P fork C");
  EXPECT_NE(v->message.find("C vma#"), std::string::npos) << v->message;
}

}  // namespace
}  // namespace rmaplab
