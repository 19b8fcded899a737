// Tests of the rule sets: each profile's distinguishing behaviour, and the
// lock accounting of linux-6.18, per operation type.
//
// Expected values come from the rules, not from the model's output: the
// 6.18 source paths (field guide §3, §5, §6, §10), the RFC's diff
// (shared/docs/seed-rfc-v2.txt), the 2026 series (§12.2) and the old reuse
// rules (§12.3). Each test says which rule gives its numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/env.h"
#include "model/machine.h"
#include "rmaplab/profile.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"
#include "run/model_of.h"
#include "testing/scenario.h"

namespace rmaplab::model {
namespace {

Script parse(const std::string& text) {
  auto s = parse_script(text, "test.rml");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : Script{};
}

RunReport run(const std::string& text, const Profile& p, std::uint64_t fail_alloc = 0) {
  const Script script = parse(text);
  RunOptions o;
  o.profile = &p;
  o.check = true;
  o.fail_alloc = fail_alloc;
  auto r = run_script(script, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  EXPECT_FALSE(r->violation) << r->violation->rule << ": " << r->violation->message;
  return *r;
}

const OpRecord& last(const RunReport& r) { return r.ops.back(); }

// (anon_vma alloc, free, AVC alloc, free): the field guide's notation.
std::vector<int> counts(const OpRecord& op) {
  const Counts& c = op.counts;
  return {static_cast<int>(c.anon_vma_alloc), static_cast<int>(c.anon_vma_free),
          static_cast<int>(c.avc_alloc), static_cast<int>(c.avc_free)};
}

// "+anon_vma anon_vma_fork", in order.
std::vector<std::string> events(const OpRecord& op) {
  std::vector<std::string> out;
  for (const Event& e : op.events)
    out.push_back(std::string(e.type == EventType::alloc ? "+" : "-") +
                  (e.kind == ObjectKind::anon_vma ? "anon_vma " : "avc ") +
                  std::string(to_string(e.site)));
  return out;
}

// The locks an operation took, without the zeros.
std::map<std::string, std::uint64_t> locks(const OpRecord& op) {
  std::map<std::string, std::uint64_t> out;
  for (Lock lock : kAllLocks)
    if (op.locks[lock]) out[std::string(to_string(lock))] = op.locks[lock];
  return out;
}

using Locks = std::map<std::string, std::uint64_t>;

// Every anon_vma's counters, keyed by id, after running `text` under `p`.
std::map<std::uint32_t, std::vector<int>> counters(const std::string& text, const Profile& p) {
  const Script script = parse(text);
  RunOptions o;
  o.profile = &p;
  Simulation sim(script, o);
  while (!sim.done()) EXPECT_TRUE(sim.step().ok());
  std::map<std::uint32_t, std::vector<int>> out;
  for (const anon_vma* av : machine_of(sim).env().anon_vmas())
    out[av->id()] = {av->refcount(), av->num_children(), av->num_active_vmas(),
                     static_cast<int>(av->parent()->id()), static_cast<int>(av->root()->id())};
  return out;
}

using testing::Lines;
using testing::Scenario;

// A VMA of 8 pages written in full: one root R, chain [R].
constexpr const char* kFaulted = "spawn P\nP mmap 0 8\nP write 0 8\n";

// --- the table ---

TEST(Profiles, TableListsEveryProfileOnceWithDefaultFirst) {
  std::vector<std::string> names;
  for (const Profile* p : profiles()) {
    names.emplace_back(p->name);
    EXPECT_FALSE(p->description.empty()) << p->name;
    EXPECT_FALSE(p->kernels.empty()) << p->name;
    EXPECT_NE(p->fork_may_reuse, nullptr) << p->name;
    EXPECT_EQ(find_profile(p->name), p);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"linux-6.18", "linux-6.12", "linux-6.1", "rfc-v1", "rfc-v2",
                                      "linux-7.0", "linux-7.0-pre-fix", "degree", "no-reuse",
                                      "anon-vma-lazy", "cow-context"}));
  EXPECT_EQ(profiles().front(), &linux_6_18());
  EXPECT_EQ(find_profile("linux-6.19"), nullptr);
  // The default a run uses when it names none.
  EXPECT_EQ(kDefaultProfile, "linux-6.18");
  EXPECT_EQ(find_profile(kDefaultProfile), &linux_6_18());
}

// --- the claims --profile auto reads ---

TEST(Profiles, ClaimsAreTheVerifiedReleasesAndNeverOverlap) {
  // Each kernel profile claims the releases it was verified on (or, for the
  // old rules, read from: field guide §12.3); proposals and -rc claim none.
  auto claim = [](const Profile& p) { return std::pair{p.claims_from, p.claims_to}; };
  using V = KernelVersion;
  EXPECT_EQ(claim(linux_6_18()), (std::pair{V{6, 18}, V{6, 18}}));
  EXPECT_EQ(claim(linux_6_12()), (std::pair{V{6, 12}, V{6, 12}}));
  EXPECT_EQ(claim(linux_6_1()), (std::pair{V{6, 1}, V{6, 1}}));
  EXPECT_EQ(claim(linux_7_0()), (std::pair{V{7, 0}, V{7, 3}}));
  EXPECT_EQ(claim(degree()), (std::pair{V{3, 19}, V{5, 19}}));
  EXPECT_EQ(claim(no_reuse()), (std::pair{V{2, 6}, V{3, 18}}));
  for (const Profile* p : {&rfc_v1(), &rfc_v2(), &linux_7_0_pre_fix()})
    EXPECT_EQ(claim(*p), (std::pair{V{}, V{}})) << p->name;
  for (const Profile* a : profiles()) {
    if (a->claims_from == V{}) continue;
    EXPECT_LE(a->claims_from, a->claims_to) << a->name;
    for (const Profile* b : profiles()) {
      if (a == b || b->claims_from == V{}) continue;
      EXPECT_TRUE(a->claims_to < b->claims_from || b->claims_to < a->claims_from)
          << a->name << " and " << b->name << " overlap";
    }
  }
}

TEST(Profiles, AutoPicksTheProfileClaimingTheRelease) {
  // The releases uname -r gave on this machine and in the three guests.
  EXPECT_EQ(profile_claiming(parse_kernel_release("6.18.44")), &linux_6_18());
  EXPECT_EQ(profile_claiming(parse_kernel_release("6.12.117+deb13-cloud-amd64")), &linux_6_12());
  EXPECT_EQ(profile_claiming(parse_kernel_release("6.1.0-50-cloud-amd64")), &linux_6_1());
  EXPECT_EQ(profile_claiming(parse_kernel_release("7.3.4+deb13-cloud-amd64")), &linux_7_0());
  EXPECT_EQ(profile_claiming(parse_kernel_release("5.10.0")), &degree());
  EXPECT_EQ(profile_claiming(parse_kernel_release("3.2.0")), &no_reuse());
  // Unclaimed and unreadable releases pick nothing.
  EXPECT_EQ(profile_claiming(parse_kernel_release("6.16.3")), nullptr);
  EXPECT_EQ(profile_claiming(parse_kernel_release("6.0.1")), nullptr);
  EXPECT_EQ(profile_claiming(parse_kernel_release("unknown")), nullptr);
  EXPECT_EQ(parse_kernel_release("6.10"), (KernelVersion{6, 10}));
  EXPECT_EQ(parse_kernel_release("6"), KernelVersion{});
  EXPECT_EQ(parse_kernel_release("6.x"), KernelVersion{});
  EXPECT_EQ(parse_kernel_release(""), KernelVersion{});
}

TEST(Profiles, EachStatesOnlyItsDifferences) {
  const Profile& base = linux_6_18();
  auto hooks = [&](const Profile& p) {
    std::set<std::string> h;
    if (p.fork_may_reuse != base.fork_may_reuse) h.insert("fork_may_reuse");
    if (p.fork_alloc != base.fork_alloc) h.insert("fork_alloc");
    if (p.alloc_takes_root_lock != base.alloc_takes_root_lock) h.insert("alloc_takes_root_lock");
    if (p.clone_allocates_unlocked != base.clone_allocates_unlocked)
      h.insert("clone_allocates_unlocked");
    if (p.clone_counts_active_vma != base.clone_counts_active_vma)
      h.insert("clone_counts_active_vma");
    if (p.clone_attaches_reuse_in_walk != base.clone_attaches_reuse_in_walk)
      h.insert("clone_attaches_reuse_in_walk");
    if (p.fork_unwind_leaks_child != base.fork_unwind_leaks_child)
      h.insert("fork_unwind_leaks_child");
    if (p.clone_unwind_keeps_anon_vma != base.clone_unwind_keeps_anon_vma)
      h.insert("clone_unwind_keeps_anon_vma");
    if (p.clone_reverses_chain != base.clone_reverses_chain) h.insert("clone_reverses_chain");
    if (p.root_free_traced_in_caller != base.root_free_traced_in_caller)
      h.insert("root_free_traced_in_caller");
    if (p.merge_unfaulted_with_faulted != base.merge_unfaulted_with_faulted)
      h.insert("merge_unfaulted_with_faulted");
    if (p.mremap_moves_several_vmas != base.mremap_moves_several_vmas)
      h.insert("mremap_moves_several_vmas");
    if (p.munmap_unmaps_new_pieces != base.munmap_unmaps_new_pieces)
      h.insert("munmap_unmaps_new_pieces");
    if (p.mmap_merges_next_first != base.mmap_merges_next_first) h.insert("mmap_merges_next_first");
    if (p.mprotect_refunds_unfaulted != base.mprotect_refunds_unfaulted)
      h.insert("mprotect_refunds_unfaulted");
    return h;
  };
  EXPECT_EQ(hooks(linux_6_12()),
            (std::set<std::string>{"merge_unfaulted_with_faulted", "mremap_moves_several_vmas"}));
  EXPECT_EQ(hooks(linux_6_1()),
            (std::set<std::string>{"merge_unfaulted_with_faulted", "mremap_moves_several_vmas",
                                   "munmap_unmaps_new_pieces", "mmap_merges_next_first",
                                   "mprotect_refunds_unfaulted"}));
  EXPECT_EQ(hooks(rfc_v1()),
            (std::set<std::string>{"clone_counts_active_vma", "clone_attaches_reuse_in_walk",
                                   "fork_unwind_leaks_child"}));
  EXPECT_EQ(hooks(rfc_v2()), (std::set<std::string>{"fork_alloc", "alloc_takes_root_lock"}));
  EXPECT_EQ(hooks(linux_7_0()),
            (std::set<std::string>{"fork_alloc", "clone_allocates_unlocked", "clone_reverses_chain",
                                   "root_free_traced_in_caller"}));
  EXPECT_EQ(hooks(linux_7_0_pre_fix()),
            (std::set<std::string>{"fork_alloc", "clone_allocates_unlocked", "clone_reverses_chain",
                                   "root_free_traced_in_caller", "clone_unwind_keeps_anon_vma"}));
  EXPECT_EQ(hooks(degree()), (std::set<std::string>{"fork_may_reuse"}));
  EXPECT_EQ(hooks(no_reuse()), (std::set<std::string>{"fork_may_reuse"}));
}

// --- linux-6.18: lock acquisitions per operation type (field guide §10,
// the 6.18 paths named in each comment) ---

TEST(Locks618, FirstWriteFault) {
  // vmf_anon_prepare: mmap_read_trylock; __anon_vma_prepare: root write +
  // page_table_lock; do_anonymous_page: the PTE lock.
  const auto r = run("spawn P\nP mmap 0 8\nP write 3\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"anon_vma_root_write", 1},
                                   {"mmap_lock_read", 1},
                                   {"page_table_lock", 1},
                                   {"pte_lock", 1}}));
}

TEST(Locks618, FaultsWithAnAnonVma) {
  // A VMA with an anon_vma: vmf_anon_prepare returns at once, only the PTE
  // lock of do_anonymous_page.
  auto r = run("spawn P\nP mmap 0 8\nP write 0\nP write 5\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"pte_lock", 1}}));
  // A writable exclusive page: no fault at all.
  r = run("spawn P\nP mmap 0 8\nP write 0\nP write 0\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), Locks{});
  // A read of an untouched page maps the zero page: the PTE lock.
  r = run("spawn P\nP mmap 0 8\nP read 2\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"pte_lock", 1}}));
  // COW copy: handle_pte_fault's PTE lock, then wp_page_copy's.
  r = run(std::string(kFaulted) + "P fork C\nC write 1\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"pte_lock", 2}}));
  // COW reuse (the sharer exited): one PTE lock, nothing else.
  r = run(std::string(kFaulted) + "P fork C\nP exit\nC write 1\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"pte_lock", 1}}));
}

TEST(Locks618, ForkAndExit) {
  // dup_mmap: both mmap_locks for write; anon_vma_fork: the clone's one
  // lock_anon_vma_root and the own link's anon_vma_lock_write;
  // copy_pte_range: both page tables' PTE locks.
  auto r = run(std::string(kFaulted) + "P fork C\n", linux_6_18());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{1, 0, 2, 0}));
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 2}, {"mmap_lock_write", 2}, {"pte_lock", 2}}));
  // An unfaulted VMA: nothing to clone or copy.
  r = run("spawn P\nP mmap 0 8\nP fork C\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"mmap_lock_write", 2}}));
  // exit_mmap: mmap_lock read for the zap (one PTE lock), write for
  // free_pgtables; unlink_anon_vmas locks the root once.
  r = run(std::string(kFaulted) + "P fork C\nC exit\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"anon_vma_root_write", 1},
                                   {"mmap_lock_read", 1},
                                   {"mmap_lock_write", 1},
                                   {"pte_lock", 1}}));
}

TEST(Locks618, ForkThatReusesTakesTheRootOnce) {
  // P -> C -> D, C exits: C's anon_vma Y has no VMA and one child, so D's
  // fork reuses it: only the clone's lock (no own link).
  const auto r =
      run(std::string(kFaulted) + "P fork C\nC fork D\nC exit\nD fork E\n", linux_6_18());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{0, 0, 3, 0}));
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 1}, {"mmap_lock_write", 2}, {"pte_lock", 2}}));
}

TEST(Locks618, SplitMergeAndUnmap) {
  // mprotect of the middle: two __split_vma, each an anon_vma_clone (root
  // lock) and a vma_prepare (root lock); change_protection: one page table.
  auto r = run(std::string(kFaulted) + "P mprotect 2 2 r\n", linux_6_18());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{0, 0, 2, 0}));
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 4}, {"mmap_lock_write", 1}, {"pte_lock", 1}}));
  // Back: one merge of three, commit_merge's vma_prepare (1), then
  // unlink_anon_vmas of the two removed VMAs (1 each).
  r = run(std::string(kFaulted) + "P mprotect 2 2 r\nP mprotect 2 2 rw\n", linux_6_18());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{0, 0, 0, 2}));
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 3}, {"mmap_lock_write", 1}, {"pte_lock", 1}}));
  // munmap of the whole VMA: the zap's PTE lock, unlink's root lock.
  r = run(std::string(kFaulted) + "P munmap 0 8\n", linux_6_18());
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 1}, {"mmap_lock_write", 1}, {"pte_lock", 1}}));
}

TEST(Locks618, MadviseDontneedUsesTheVmaLockWithinOneVma) {
  // try_vma_read_lock: one VMA covers the range, no mmap_lock; zap: one
  // PTE lock.
  auto r = run(std::string(kFaulted) + "P madvise 2 2 dontneed\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"pte_lock", 1}}));
  // Two VMAs: mmap_lock for read; each VMA's zap locks the one table.
  r = run(std::string(kFaulted) + "P mprotect 4 4 r\nP madvise 2 4 dontneed\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"mmap_lock_read", 1}, {"pte_lock", 2}}));
  // A flag change takes mmap_lock for write.
  r = run(std::string(kFaulted) + "P madvise 0 8 dontfork\n", linux_6_18());
  EXPECT_EQ(locks(last(r)), (Locks{{"mmap_lock_write", 1}}));
}

TEST(Locks618, MremapMove) {
  // Moving a whole faulted VMA to empty space: copy_vma clones (root lock,
  // no rmap locks for a new VMA), move_ptes locks both tables (pages 0-7 and
  // 1024-1031 are in different tables), the source's unlink takes the root.
  auto r = run(std::string(kFaulted) + "P mremap 0 8 1024 8\n", linux_6_18());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(locks(last(r)),
            (Locks{{"anon_vma_root_write", 2}, {"mmap_lock_write", 1}, {"pte_lock", 2}}));
  // Refused before the lock (check_mremap_params): nothing.
  r = run(std::string(kFaulted) + "P mremap 0 8 4 8\n", linux_6_18());
  EXPECT_EQ(last(r).result, "EINVAL");
  EXPECT_EQ(locks(last(r)), Locks{});
}

// --- rfc-v1: the lost increment, and the ENOMEM paths (designs-2026.md §3) ---

// `text` under `p`, one operation at a time, with or without the checker
// after each; the first violation, if any.
std::optional<Violation> first_violation(const std::string& text, const Profile& p, bool check,
                                         std::uint64_t fail_alloc = 0) {
  const Script script = parse(text);
  RunOptions o;
  o.profile = &p;
  o.check = check;
  o.fail_alloc = fail_alloc;
  auto r = run_script(script, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r->violation : std::nullopt;
}

// The smallest reproduction: fault, split with mprotect, exit
// (examples/rfc-v1-split-exit.rml).
constexpr const char* kSplitExit = "spawn P\nP mmap 0 8\nP write 0 8\nP mprotect 0 4 r\nP exit\n";

TEST(RfcV1, SplitThenExitUnderflowsNumActiveVmasAtTheExit) {
  // v1's anon_vma_clone has no num_active_vmas++ after the chain walk, so
  // the split's new VMA shares A uncounted: A counts 1 for 2 VMAs. exit's
  // free_pgtables unlinks both: 1 -> 0, then 0 -> -1, where the kernel's
  // unlink_anon_vmas VM_WARN_ON(anon_vma->num_active_vmas) fired for syzbot.
  const auto v = first_violation(kSplitExit, rfc_v1(), /*check=*/false);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "num_active_vmas underflow");
  EXPECT_TRUE(v->during);
  EXPECT_EQ(v->line, 5);
  EXPECT_EQ(v->op, "P exit");
  EXPECT_NE(v->message.find("anon_vma #1"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("VM_WARN_ON(anon_vma->num_active_vmas) of unlink_anon_vmas"),
            std::string::npos)
      << v->message;
}

TEST(RfcV1, TheCheckerSeesTheUndercountAtTheSplit) {
  // The state is wrong as soon as the split shares A: I6 after the mprotect.
  const auto v = first_violation(kSplitExit, rfc_v1(), /*check=*/true);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "I6 num_active_vmas");
  EXPECT_EQ(v->line, 4);
  EXPECT_FALSE(v->during);
  EXPECT_NE(v->message.find("num_active_vmas 1, but 2 VMAs use it"), std::string::npos)
      << v->message;
}

TEST(RfcV1, TheSameScriptIsCleanUnderLinux618) {
  // 6.18 counts the split: (0,0,1,0), and the exit frees A and both AVCs.
  const auto r = run(kSplitExit, linux_6_18());
  ASSERT_EQ(r.ops.size(), 5u);
  EXPECT_EQ(counts(r.ops[3]), (std::vector<int>{0, 0, 1, 0}));
  EXPECT_EQ(counts(r.ops[4]), (std::vector<int>{0, 1, 0, 2}));
  EXPECT_FALSE(first_violation(kSplitExit, linux_6_18(), /*check=*/false));
}

TEST(RfcV1, EverySharingCloneLosesOneCount) {
  // num_active_vmas of the root A (id 1) after: a split (2 VMAs, one of
  // them uncounted), a middle split (3 VMAs, two uncounted), a move of the
  // tail (split: uncounted; copy_vma's clone: uncounted; the source piece's
  // unlink: -1, so 0 for 2 VMAs), and a fork (the child's own anon_vma is
  // attached, counted: v1's fork without failures ends as 6.18's).
  const auto nav = [](const std::string& s, const Profile& p) { return counters(s, p).at(1)[2]; };
  const std::string split = std::string(kFaulted) + "P mprotect 0 4 r\n";
  EXPECT_EQ(nav(split, linux_6_18()), 2);
  EXPECT_EQ(nav(split, rfc_v1()), 1);
  const std::string middle = std::string(kFaulted) + "P mprotect 2 2 r\n";
  EXPECT_EQ(nav(middle, linux_6_18()), 3);
  EXPECT_EQ(nav(middle, rfc_v1()), 1);
  const std::string move = std::string(kFaulted) + "P mremap 6 2 100 2\n";
  EXPECT_EQ(nav(move, linux_6_18()), 2);
  EXPECT_EQ(nav(move, rfc_v1()), 0);
  const std::string fork = std::string(kFaulted) + "P fork C\n";
  EXPECT_EQ(counters(fork, rfc_v1()), counters(fork, linux_6_18()));
}

TEST(RfcV1, ReuseThenFailedCloneLeavesTheCountRaised) {
  // D's chain is [D's, Y, R]; after C exits, Y has no VMA and one child, so
  // "D fork E" reuses Y at the second of its three clone AVCs (allocations
  // 10, 11, 12 of the script). Failing the 12th: v1 attached E's VMA to Y
  // (num_active_vmas 1) inside the walk; the unwind clears the pointer and
  // unlinks, and Y keeps counting a VMA that does not exist (Liam Howlett's
  // review). 6.18 attaches after the walk and unwinds clean.
  const std::string s = std::string(kFaulted) + "P fork C\nC fork D\nC exit\nD fork E\n";
  EXPECT_FALSE(first_violation(s, linux_6_18(), /*check=*/true, 12));
  const auto v = first_violation(s, rfc_v1(), /*check=*/true, 12);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "I6 num_active_vmas");
  EXPECT_EQ(v->op, "D fork E");
  EXPECT_NE(v->message.find("num_active_vmas 1, but 0 VMAs use it"), std::string::npos)
      << v->message;
}

TEST(RfcV1, FailedForkAvcFreesTheRootItNeverPinned) {
  // "P fork C" allocates the clone's AVC (3rd), then anon_vma_alloc(R)
  // raises R's num_children (4th), then the AVC (5th). Failing the 5th, v1
  // puts the new anon_vma: R keeps num_children 2 and loses a reference the
  // child never took; R's only one, so R is freed while P's VMA uses it.
  const std::string s = std::string(kFaulted) + "P fork C\n";
  EXPECT_FALSE(first_violation(s, linux_6_18(), /*check=*/true, 5));
  const auto v = first_violation(s, rfc_v1(), /*check=*/true, 5);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "anon_vma freed while in use");
  EXPECT_TRUE(v->during);
  EXPECT_EQ(v->op, "P fork C");
  EXPECT_NE(v->message.find("anon_vma #1 is freed with num_children 2 and num_active_vmas 1"),
            std::string::npos)
      << v->message;
}

// --- rfc-v2: where the counters change, and the locks that costs ---

TEST(RfcV2, AllocatorTakesTheRootLockForANewRoot) {
  // __anon_vma_alloc(NULL) locks the new root to count its self link, then
  // __anon_vma_prepare locks it again to publish it: 2 where 6.18 takes 1.
  const auto r = run("spawn P\nP mmap 0 8\nP write 3\n", rfc_v2());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(locks(last(r))["anon_vma_root_write"], 2u);
  EXPECT_EQ(events(last(r)),
            (std::vector<std::string>{"+avc __anon_vma_prepare", "+anon_vma __anon_vma_prepare"}));
}

TEST(RfcV2, NeighbourReuseAllocatesNothingSoLocksAsBefore) {
  // find_mergeable_anon_vma finds the neighbour: no allocator call.
  const std::string s = "spawn P\nP mmap 0 8\nP mprotect 4 4 rwx\nP write 0\nP write 4\n";
  EXPECT_EQ(locks(last(run(s, rfc_v2()))), locks(last(run(s, linux_6_18()))));
  EXPECT_EQ(counts(last(run(s, rfc_v2()))), (std::vector<int>{0, 0, 1, 0}));
}

TEST(RfcV2, ForkAllocatesItsAvcFirstAndLocksInTheAllocator) {
  // The RFC's anon_vma_fork: avc = anon_vma_chain_alloc(); then
  // __anon_vma_alloc(pvma->anon_vma), which locks the root to raise the
  // parent's num_children; then the link under the lock as before.
  const std::string s = std::string(kFaulted) + "P fork C\n";
  const auto base = run(s, linux_6_18());
  const auto rfc = run(s, rfc_v2());
  EXPECT_EQ(events(last(base)),
            (std::vector<std::string>{"+avc anon_vma_clone", "+anon_vma anon_vma_fork",
                                      "+avc anon_vma_fork"}));
  EXPECT_EQ(events(last(rfc)),
            (std::vector<std::string>{"+avc anon_vma_clone", "+avc anon_vma_fork",
                                      "+anon_vma anon_vma_fork"}));
  EXPECT_EQ(counts(last(rfc)), counts(last(base)));
  EXPECT_EQ(locks(last(base))["anon_vma_root_write"], 2u);
  EXPECT_EQ(locks(last(rfc))["anon_vma_root_write"], 3u);
  Locks others = locks(last(rfc));
  others.erase("anon_vma_root_write");
  Locks base_others = locks(last(base));
  base_others.erase("anon_vma_root_write");
  EXPECT_EQ(others, base_others);
}

TEST(RfcV2, ReusingForkIsUnchanged) {
  const std::string s = std::string(kFaulted) + "P fork C\nC fork D\nC exit\nD fork E\n";
  const auto base = run(s, linux_6_18());
  const auto rfc = run(s, rfc_v2());
  EXPECT_EQ(events(last(rfc)), events(last(base)));
  EXPECT_EQ(locks(last(rfc)), locks(last(base)));
}

TEST(RfcV2, CountersEndTheSame) {
  // The RFC moves where num_children and num_active_vmas change, not what
  // they become: every anon_vma's counters, parent and root agree.
  for (const std::string& s :
       {std::string(kFaulted) + "P fork C\nC fork D\nC exit\nD fork E\nP mprotect 2 2 r\n",
        std::string(kFaulted) +
            "P mprotect 4 4 rwx\nP fork C\nC write 0 8\nP exit\nC munmap 2 2\n"})
    EXPECT_EQ(counters(s, rfc_v2()), counters(s, linux_6_18())) << s;
}

TEST(RfcV2, FailedForkAllocationsUnwindCleanly) {
  // Fork of a k=1 VMA allocates 3 objects (allocations 3, 4, 5 here): the
  // clone's AVC, then (6.18) anon_vma and AVC, (rfc-v2) AVC and anon_vma.
  // Failing the 4th: 6.18's anon_vma or the RFC's AVC; the 5th: the other.
  // Either way the fork is ENOMEM and nothing is left behind.
  const std::string s = std::string(kFaulted) + "P fork C\n";
  for (std::uint64_t k : {4, 5}) {
    for (const Profile* p : {&linux_6_18(), &rfc_v2()}) {
      const auto r = run(s, *p, k);
      EXPECT_EQ(last(r).result, "ENOMEM") << p->name << " K=" << k;
      EXPECT_EQ(last(r).live_anon_vma, 1u) << p->name << " K=" << k;
      EXPECT_EQ(last(r).live_avc, 1u) << p->name << " K=" << k;
    }
  }
  // K=4: 6.18 never allocated the AVC; the RFC frees the clone's AVC and
  // its own (allocated, then the anon_vma failed).
  EXPECT_EQ(events(last(run(s, linux_6_18(), 4))),
            (std::vector<std::string>{"+avc anon_vma_clone", "-avc unlink_anon_vmas"}));
  EXPECT_EQ(events(last(run(s, rfc_v2(), 4))),
            (std::vector<std::string>{"+avc anon_vma_clone", "-avc unlink_anon_vmas"}));
  EXPECT_EQ(events(last(run(s, rfc_v2(), 5))),
            (std::vector<std::string>{"+avc anon_vma_clone", "+avc anon_vma_fork",
                                      "-avc anon_vma_fork", "-avc unlink_anon_vmas"}));
}

// --- linux-7.0: the January 2026 clean-up as merged (designs-2026.md §4.1) ---

TEST(Linux70, ReusingForkAllocatesAndReleasesItsOwnPair) {
  // anon_vma_fork allocates anon_vma and AVC before anon_vma_clone; the
  // clone reuses Y (no VMA, one child), so both are released: +1/-1
  // anon_vma, +1/-1 AVC next to the 3 cloned AVCs, in that order.
  const std::string s = std::string(kFaulted) + "P fork C\nC fork D\nC exit\nD fork E\n";
  EXPECT_EQ(counts(last(run(s, linux_6_18()))), (std::vector<int>{0, 0, 3, 0}));
  const auto r = run(s, linux_7_0());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{1, 1, 4, 1}));
  EXPECT_EQ(
      events(last(r)),
      (std::vector<std::string>{"+anon_vma anon_vma_fork", "+avc anon_vma_fork",
                                "+avc anon_vma_clone", "+avc anon_vma_clone", "+avc anon_vma_clone",
                                "-anon_vma __put_anon_vma", "-avc anon_vma_fork"}));
  EXPECT_EQ(locks(last(r)), locks(last(run(s, linux_6_18()))));
}

TEST(Linux70, NonReusingForkAllocatesFirst) {
  // Same counts as 6.18, (1,0,k+1,0); the order is a, c, clone-c... where
  // 6.18 has clone-c..., a, c.
  const auto r = run(std::string(kFaulted) + "P fork C\nC fork D\n", linux_7_0());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{1, 0, 3, 0}));
  EXPECT_EQ(events(last(r)),
            (std::vector<std::string>{"+anon_vma anon_vma_fork", "+avc anon_vma_fork",
                                      "+avc anon_vma_clone", "+avc anon_vma_clone"}));
}

TEST(Linux70, CloneReversesTheChainAndTriesReuseInTheSourcesOrder) {
  // 7.x anon_vma_clone allocates walking src's chain from its head and
  // list_add()s each AVC: dst's chain is src's reversed; the tree insert
  // then walks dst from its tail, meeting src's anon_vmas in src's order.
  // P's [A]; C's own B first: [B, A]. D's clone of [B, A] is [A, B], its own
  // anon_vma D goes to the head: [D, A, B] (6.18: [D, B, A]).
  Scenario s(linux_7_0());
  s.setup(std::string(kFaulted) + "P fork C");
  EXPECT_EQ(s.maps("C"), Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a2 chain=c2:a2,c3:a1"});
  s.op("C fork D");
  EXPECT_EQ(s.maps("D"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a3 chain=c4:a3,c6:a1,c5:a2"});
  Scenario old(linux_6_18());
  old.setup(std::string(kFaulted) + "P fork C\nC fork D");
  EXPECT_EQ(old.maps("D"),
            Lines{"[0-8) rw-p pgoff=A+0 flags=ac anon_vma=a3 chain=c6:a3,c5:a2,c4:a1"});
}

TEST(Linux70, ReversedChainPutsTheRootBeforeItsChild) {
  // D's chain [D, A, B] (above); P and C gone, so D's exit empties all
  // three trees. unlink_anon_vmas' second pass goes down the list: D is
  // freed (A loses D's pin), A is put but B still pins it, B is freed and
  // drops A's last reference: A is freed inside B's __put_anon_vma, which
  // Debian's 7.3.4 traces at unlink_anon_vmas (a tail call). The order and
  // sites are the kernel's at examples/04-deep-fork-chain-reuse.rml line 31.
  const std::string script = std::string(kFaulted) + "P fork C\nC fork D\nP exit\nC exit\nD exit\n";
  const auto r = run(script, linux_7_0());
  EXPECT_EQ(counts(last(r)), (std::vector<int>{0, 3, 0, 3}));
  EXPECT_EQ(events(last(r)),
            (std::vector<std::string>{"-anon_vma __put_anon_vma", "-avc unlink_anon_vmas",
                                      "-avc unlink_anon_vmas", "-anon_vma __put_anon_vma",
                                      "-anon_vma unlink_anon_vmas", "-avc unlink_anon_vmas"}));
  // 6.18's chain [D, B, A]: each put in turn, children first.
  const auto old = run(script, linux_6_18());
  EXPECT_EQ(events(last(old)),
            (std::vector<std::string>{"-anon_vma __put_anon_vma", "-avc unlink_anon_vmas",
                                      "-anon_vma __put_anon_vma", "-avc unlink_anon_vmas",
                                      "-anon_vma __put_anon_vma", "-avc unlink_anon_vmas"}));
}

TEST(Linux70, FailedCloneFreesUnlinkedAvcsWithoutTheLock) {
  // C (chain 2) splits its middle: the first __split_vma clones 2 AVCs,
  // allocations 6 and 7 of the script; the 7th fails. 6.18 had linked the
  // first under the root lock, drops it, and unlink_anon_vmas retakes it to
  // free it; the clean-up allocated without the lock and just frees it.
  const std::string s = std::string(kFaulted) + "P fork C\nC mprotect 2 2 r\n";
  const auto base = run(s, linux_6_18(), 7);
  const auto clean = run(s, linux_7_0(), 7);
  EXPECT_EQ(last(base).result, "ENOMEM");
  EXPECT_EQ(last(clean).result, "ENOMEM");
  EXPECT_EQ(events(last(base)),
            (std::vector<std::string>{"+avc anon_vma_clone", "-avc unlink_anon_vmas"}));
  EXPECT_EQ(events(last(clean)),
            (std::vector<std::string>{"+avc anon_vma_clone", "-avc anon_vma_clone"}));
  EXPECT_EQ(locks(last(base))["anon_vma_root_write"], 2u);
  EXPECT_EQ(locks(last(clean))["anon_vma_root_write"], 0u);
}

// --- linux-7.0-pre-fix: before "mm/rmap: clear vma->anon_vma on error" ---

// examples/18-mmap-merge.rml's last case: [60,64) unfaulted, [68,72)
// faulted (allocations 1, 2: AVC, root E); mapping [64,68) between them
// makes [60,64) the merge target, and its dup_anon_vma clones E's one AVC
// (allocation 3).
constexpr const char* kMergeUnfaulted =
    "spawn P\nP mmap 60 4\nP mmap 68 4\nP write 68\nP mmap 64 4\nP exit\n";

TEST(Linux70PreFix, AFailedMergeCloneLeavesTheVmaPointingAtAnUncountedAnonVma) {
  // cleanup_partial_anon_vmas freed the AVC but, before the fix, not
  // dst->anon_vma, which dup_anon_vma had set to E: [60,64) has an
  // anon_vma and an empty chain (I1) right after the failed merge.
  EXPECT_FALSE(first_violation(kMergeUnfaulted, linux_7_0(), /*check=*/true, 3));
  const auto v = first_violation(kMergeUnfaulted, linux_7_0_pre_fix(), /*check=*/true, 3);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "I1 anon_vma_vs_chain");
  EXPECT_EQ(v->op, "P mmap 64 4");
  EXPECT_FALSE(v->during);
  // Without the injected failure the merge succeeds under both: same counts.
  EXPECT_EQ(counters(kMergeUnfaulted, linux_7_0_pre_fix()), counters(kMergeUnfaulted, linux_7_0()));
}

TEST(Linux70PreFix, TheStalePointerUnderflowsNumActiveVmasAtTeardown) {
  // The commit's "counter underflow and kernel warning at process
  // teardown": [60,64)'s unlink takes E's count from 1 to 0, [68,72)'s
  // below.
  const auto r = [] {
    const Script script = parse(kMergeUnfaulted);
    RunOptions o;
    o.profile = &linux_7_0_pre_fix();
    o.fail_alloc = 3;
    return run_script(script, o);
  }();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->ops.size(), 6u);
  ASSERT_TRUE(r->violation);
  EXPECT_EQ(r->violation->rule, "num_active_vmas underflow");
  EXPECT_EQ(r->violation->op, "P exit");
  EXPECT_TRUE(r->violation->during);
}

// --- degree (3.19 - 5.19) and the double reuse ---

TEST(Degree, RuleIsDegreeBelowTwoAndNotTheParentsOwn) {
  // degree = num_children + num_active_vmas. In a state with anon_vmas of
  // every kind (root, in use, abandoned with a child, abandoned leaf), the
  // rule accepts exactly those with degree < 2 that are not src's.
  const Script script =
      parse(std::string(kFaulted) + "P fork C\nC fork D\nD fork E\nC exit\nD exit\n");
  Simulation sim(script, RunOptions{});
  while (!sim.done()) ASSERT_TRUE(sim.step().ok());
  int accepted = 0;
  for (const anon_vma* av : machine_of(sim).env().anon_vmas()) {
    for (const bool is_pvma_anon_vma : {false, true}) {
      const ReuseCandidate c{av->num_children(), av->num_active_vmas(), is_pvma_anon_vma};
      const bool expect = !is_pvma_anon_vma && av->num_children() + av->num_active_vmas() < 2;
      EXPECT_EQ(degree().fork_may_reuse(c), expect) << "anon_vma #" << av->id();
      accepted += expect;
    }
    // 6.18's rule: no VMA and at most one child.
    const ReuseCandidate c{av->num_children(), av->num_active_vmas(), false};
    EXPECT_EQ(linux_6_18().fork_may_reuse(c), av->num_active_vmas() == 0 && av->num_children() < 2);
    EXPECT_FALSE(no_reuse().fork_may_reuse(c));
  }
  EXPECT_GT(accepted, 0);
}

// The field guide's 14-step sequence, as examples/cve-2022-42703.rml has it.
std::string cve_script() {
  std::ifstream in(std::string(RMAPLAB_SOURCE_DIR) + "/examples/cve-2022-42703.rml");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int line_of(const Script& s, const std::string& op) {
  for (const Op& o : s.ops)
    if (format_op(s, o) == op) return o.line;
  ADD_FAILURE() << "no operation " << op;
  return 0;
}

TEST(Degree, DoubleReuseBreaksI11ThenTheWalkThenFreesAMappedPage) {
  // Step by step under degree, checking after every operation: nothing is
  // broken before step 12 ("G5 fork G6"); there X is reused twice (0,0,9,0)
  // and G6's two VMAs share it with different chains (I11). Step 13 merges
  // them and drops N from G6 (I10: the walk misses G6's mapping of G5's COW
  // page). Step 14 frees N (I10: a mapped folio's anon_vma was freed).
  const Script script = parse(cve_script());
  RunOptions o;
  o.profile = &degree();
  Simulation sim(script, o);
  std::map<int, std::string> found;  // line -> rule and message
  std::map<int, std::vector<int>> count_at;
  while (!sim.done()) {
    auto rec = sim.step();
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    count_at[rec->line] = counts(*rec);
    if (auto v = sim.check()) found[v->line] = v->rule + ": " + v->message;
  }
  const int fork6 = line_of(script, "G5 fork G6");
  const int merge = line_of(script, "G6 mprotect 2 2 rw");
  const int g5_exit = line_of(script, "G5 exit");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.begin()->first, fork6) << found.begin()->second;
  EXPECT_EQ(count_at[fork6], (std::vector<int>{0, 0, 9, 0}));
  EXPECT_TRUE(found[fork6].starts_with("I11 same_anon_vma_same_chain")) << found[fork6];
  EXPECT_EQ(count_at[merge], (std::vector<int>{0, 0, 0, 5}));  // d's chain unlinked
  EXPECT_TRUE(found[merge].starts_with("I10 folio_rmap")) << found[merge];
  EXPECT_EQ(count_at[g5_exit], (std::vector<int>{0, 1, 0, 9}));  // N freed
  EXPECT_TRUE(found[g5_exit].starts_with("I10 folio_rmap")) << found[g5_exit];
  EXPECT_NE(found[g5_exit].find("has been freed"), std::string::npos) << found[g5_exit];
}

TEST(Degree, LinuxRefusesTheSecondReuse) {
  // 6.18 at step 12: X has one active VMA, refused: a fresh M, (1,0,10,0);
  // the whole script runs with every invariant holding.
  const std::string text = cve_script();
  const auto r = run(text, linux_6_18());
  const Script script = parse(text);
  const int fork6 = line_of(script, "G5 fork G6");
  for (const OpRecord& op : r.ops)
    if (op.line == fork6) {
      EXPECT_EQ(counts(op), (std::vector<int>{1, 0, 10, 0}));
    }
  EXPECT_EQ(r.ops.size(), script.ops.size());
}

// --- no-reuse (2.6.34 - 3.18): every fork adds a level ---

// G0 maps and writes 8 pages; each generation forks the next and exits.
std::string lineage(int generations) {
  std::string s = "spawn G0\nG0 mmap 0 8\nG0 write 0 8\n";
  for (int g = 0; g < generations; ++g)
    s += "G" + std::to_string(g) + " fork G" + std::to_string(g + 1) + "\nG" + std::to_string(g) +
         " exit\n";
  return s;
}

TEST(NoReuse, EveryForkAddsALevel) {
  // Without reuse, the fork of generation g (whose VMA's chain holds the
  // root and g fork-made anon_vmas) clones g+1 AVCs and adds its own anon_vma
  // and AVC: (1,0,g+2,0); the parent's exit then frees only its g+1 AVCs.
  const int n = 12;
  const auto r = run(lineage(n), no_reuse());
  for (int g = 0; g < n; ++g) {
    const OpRecord& fork = r.ops[3 + 2 * g];
    const OpRecord& exit = r.ops[4 + 2 * g];
    EXPECT_EQ(counts(fork), (std::vector<int>{1, 0, g + 2, 0})) << fork.text;
    EXPECT_EQ(counts(exit), (std::vector<int>{0, 0, 0, g + 1})) << exit.text;
  }
  EXPECT_EQ(r.live_anon_vma, static_cast<std::size_t>(n + 1));
  EXPECT_EQ(r.live_avc, static_cast<std::size_t>(n + 1));
}

TEST(NoReuse, LinuxStaysBounded) {
  // 6.18 (field guide §3.2, row 58): from the third fork on, (0,0,3,0) and
  // (0,0,0,3); three anon_vmas and three AVCs live.
  const int n = 12;
  const auto r = run(lineage(n), linux_6_18());
  for (int g = 2; g < n; ++g) {
    EXPECT_EQ(counts(r.ops[3 + 2 * g]), (std::vector<int>{0, 0, 3, 0}));
    EXPECT_EQ(counts(r.ops[4 + 2 * g]), (std::vector<int>{0, 0, 0, 3}));
  }
  EXPECT_EQ(r.live_anon_vma, 3u);
  EXPECT_EQ(r.live_avc, 3u);
}

TEST(NoReuse, MetricsGrowLinearlyUnderNoReuseOnly) {
  // After generation g (parent exited): one VMA with chain g+1 under
  // no-reuse, 3 under 6.18 (from g = 2); avc_per_vma is that chain. The
  // rmap walk of a page visits one anon_vma's tree, which holds only the
  // live VMAs linked to it: one (two while a fork has both alive).
  for (int n : {10, 40}) {
    for (const Profile* p : {&no_reuse(), &linux_6_18()}) {
      const Script script = parse(lineage(n));
      RunOptions o;
      o.profile = p;
      o.metrics = true;
      auto r = run_script(script, o);
      ASSERT_TRUE(r.ok());
      const Metrics& m = *r->ops.back().metrics;
      const std::uint32_t chain = p == &no_reuse() ? n + 1 : 3;
      EXPECT_EQ(m.max_chain, chain) << p->name << " n=" << n;
      EXPECT_DOUBLE_EQ(m.avc_per_vma, chain) << p->name << " n=" << n;
      EXPECT_EQ(m.max_walk, 1u) << p->name << " n=" << n;
      std::uint32_t walk = 0;
      for (const OpRecord& op : r->ops) walk = std::max(walk, op.metrics->max_walk);
      EXPECT_EQ(walk, 2u) << p->name << " n=" << n;
    }
  }
}

// --- every profile unwinds every injected allocation failure ---

TEST(Profiles, EveryAllocationFailureUnwinds) {
  // Forks of two faulted VMAs (one reusing, as the lineage makes it), a
  // split and a merge: fail each allocation in turn under each profile. The
  // run stops at the operation that failed (its process may be missing
  // afterwards); the checker then finds every count, link and refcount
  // consistent, so nothing leaked and nothing was freed twice.
  const std::string s = std::string(kFaulted) +
                        "P mmap 16 4\nP write 16\nP fork C\nC fork D\nC exit\nD fork E\n"
                        "E mprotect 2 2 r\nE mprotect 2 2 rw\n";
  const Script script = parse(s);
  for (const Profile* p : profiles()) {
    if (p == &rfc_v1()) continue;  // its ENOMEM paths leak: RfcV1 tests above
    // Other designs allocate no anon_vma or AVC here (the lazy one's fork
    // materialises them: it is tested on its own, below).
    if (p->design != Design::anon_vma) continue;
    int allocations = 0;
    for (const OpRecord& op : run(s, *p).ops)
      allocations += op.counts.anon_vma_alloc + op.counts.avc_alloc;
    ASSERT_GT(allocations, 15) << p->name;
    for (int k = 1; k <= allocations; ++k) {
      RunOptions o;
      o.profile = p;
      o.fail_alloc = static_cast<std::uint64_t>(k);
      Simulation sim(script, o);
      std::string failed;
      while (!sim.done() && failed.empty()) {
        auto rec = sim.step();
        ASSERT_TRUE(rec.ok()) << rec.error().message;
        if (rec->result != "ok") failed = rec->text + ": " + rec->result;
      }
      EXPECT_FALSE(failed.empty()) << p->name << " K=" << k << ": nothing failed";
      auto v = sim.check();
      EXPECT_FALSE(v) << p->name << " K=" << k << " (" << failed << "): " << v->rule << ": "
                      << v->message;
    }
  }
}

}  // namespace
}  // namespace rmaplab::model
