// The model's rules (rule.h): every guard, planted, throws RuleBroken with
// its rule's name and a message naming the object, and it does so in the
// build ctest runs, the release preset, where NDEBUG compiles assert() out.
//
// A state that breaks a rule cannot be reached through the workload
// language, so each test builds the smallest such state by hand: through the
// model's own functions where they allow it, and through
// anon_vma_test_access (the checker's planting hook) where only a private
// counter can break it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "check/anon_vma_test_access.h"
#include "model/env.h"
#include "model/interval_tree.h"
#include "model/machine.h"
#include "model/mm.h"
#include "model/rmap.h"
#include "model/rule.h"
#include "model/syscalls.h"
#include "testing/scenario.h"
#include "model/vma_ops.h"

namespace rmaplab::model {
namespace {

using testing::Scenario;

// Runs `f`, which must break the rule called `rule`, and returns the
// message; a test failure (and "") if nothing or another rule broke.
template <class F>
std::string broken(std::string_view rule, F&& f) {
  try {
    f();
  } catch (const RuleBroken& e) {
    EXPECT_EQ(e.rule, rule) << e.message;
    EXPECT_EQ(std::string(e.what()), e.rule + ": " + e.message);
    return e.message;
  }
  ADD_FAILURE() << "no rule broke; expected \"" << rule << "\"";
  return {};
}

// A VMA of pages [0, 8) in no mm, linked to nothing.
vm_area_struct* bare_vma(Env& env) {
  vm_area_struct* v = env.alloc_vma();
  v->vm_end = 8;
  v->vm_pgoff = kArenaPgoff;
  v->vm_flags = VM_READ | VM_WRITE;
  return v;
}

// ---------------------------------------------------------------------------
// The build

TEST(Rules, HoldInTheReleaseBuildWhereAssertsAreCompiledOut) {
  // The release preset (RelWithDebInfo, what ctest runs) defines NDEBUG.
#ifdef NDEBUG
  constexpr bool ndebug = true;
#else
  constexpr bool ndebug = false;
#endif
  RecordProperty("NDEBUG", ndebug ? "defined" : "not defined");
  const std::string_view build = RMAPLAB_BUILD_TYPE;
  if (build == "RelWithDebInfo" || build == "Release") {
    EXPECT_TRUE(ndebug) << build;
  }

  // And a rule fires all the same.
  Env env;
  vm_area_struct* vma = bare_vma(env);
  EXPECT_EQ(broken("num_active_vmas underflow", [&] { vma_detach_anon_vma(vma); }),
            "VMA #1 is detached but has no active anon_vma.");
}

// ---------------------------------------------------------------------------
// The counters (anon_vma.h's table)

TEST(Rules, DetachFromAnAnonVmaThatCountsNoVmaIsAnUnderflow) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* vma = bare_vma(env);
  vma->anon_vma = a1;  // the pointer without its count
  EXPECT_EQ(broken("num_active_vmas underflow", [&] { vma_detach_anon_vma(vma); }),
            "VMA #1 detaches from anon_vma #1, whose num_active_vmas is already 0.");
}

TEST(Rules, AVmaHasOneActiveAnonVma) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* vma = bare_vma(env);
  vma_attach_anon_vma(vma, a1);
  EXPECT_EQ(broken("VMA attached to a second anon_vma", [&] { vma_attach_anon_vma(vma, a2); }),
            "VMA #1 is attached to anon_vma #2 while anon_vma #1 is already its active one.");
  EXPECT_EQ(a2->num_active_vmas(), 0);  // the rule stopped it before the count
}

TEST(Rules, EmptyingATreeTwiceUnderflowsNumChildren) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma_tree_emptied(a1);  // drops the self link: num_children 0
  EXPECT_EQ(broken("num_children underflow", [&] { anon_vma_tree_emptied(a1); }),
            "anon_vma #1's tree emptied but its parent #1 has num_children 0.");
}

TEST(Rules, OnlyAnEmptyTreeIsEmptied) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* vma = bare_vma(env);
  anon_vma_chain_link(vma, env.alloc_avc(CallSite::anon_vma_prepare), a1);
  EXPECT_EQ(broken("anon_vma tree emptied while it has AVCs", [&] { anon_vma_tree_emptied(a1); }),
            "anon_vma #1 is counted as emptied while AVCs are still linked in its tree.");
}

TEST(Rules, OnlyAFreshAnonVmaJoinsAFamily) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_root(env, CallSite::anon_vma_prepare);  // counts its self link
  EXPECT_EQ(broken("anon_vma adopted while in use", [&] { anon_vma_make_child(env, a2, a1); }),
            "anon_vma #2 joins anon_vma #1's family but is already in use (refcount 1, "
            "num_children 1, num_active_vmas 0).");
  EXPECT_EQ(a1->refcount(), 1);
}

TEST(Rules, OnlyANeverLinkedChildIsUncounted) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  EXPECT_EQ(broken("anon_vma uncounted while in use", [&] { anon_vma_uncount_child(a1); }),
            "anon_vma #1 is uncounted from its parent but is a root.");
  anon_vma* a2 = anon_vma_create_child(env, CallSite::anon_vma_fork, a1);
  vm_area_struct* vma = bare_vma(env);
  vma_attach_anon_vma(vma, a2);
  EXPECT_EQ(broken("anon_vma uncounted while in use", [&] { anon_vma_uncount_child(a2); }),
            "anon_vma #2 is uncounted from its parent but is in use (num_children 0, "
            "num_active_vmas 1, no AVCs).");
  vma_detach_anon_vma(vma);
  anon_vma_test_access::num_children(*a1) = 0;  // a parent that lost count of it
  EXPECT_EQ(broken("num_children underflow", [&] { anon_vma_uncount_child(a2); }),
            "anon_vma #2's parent #1 does not count it (num_children 0).");
}

TEST(Rules, UncountingANeverLinkedChildGivesItsParentTheCountBack) {
  // The fork unwind (anon_vma_fork's AVC allocation failed): the child was
  // counted when created and is uncounted before the put frees it.
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_child(env, CallSite::anon_vma_fork, a1);
  EXPECT_EQ(a1->num_children(), 2);
  anon_vma_uncount_child(a2);
  EXPECT_EQ(a1->num_children(), 1);
  put_anon_vma(env, a2);
  EXPECT_EQ(env.live_anon_vmas(), 1u);
  EXPECT_EQ(a1->refcount(), 1);  // the child's pin on the root went with it
}

TEST(Rules, APutOfAnUnreferencedAnonVmaIsAnUnderflow) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma_test_access::refcount(*a1) = 0;
  EXPECT_EQ(broken("anon_vma refcount underflow", [&] { put_anon_vma(env, a1); }),
            "anon_vma #1 is put with refcount 0.");
}

TEST(Rules, AnAnonVmaIsFreedOnlyOnceNothingUsesIt) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);  // self link counted
  EXPECT_EQ(broken("anon_vma freed while in use", [&] { __put_anon_vma(env, a1); }),
            "anon_vma #1 is freed with num_children 1 and num_active_vmas 0.");
  EXPECT_EQ(env.live_anon_vmas(), 1u);
}

TEST(Rules, UnlinkPutsOnlyAnAnonVmaNothingUses) {
  // VMA #1 is linked to a1 and uses it; VMA #2 uses it too but (planted)
  // has no AVC. Unlinking VMA #1 empties a1's tree, yet a1 still counts
  // VMA #2: the kernel's VM_WARN_ON(num_active_vmas) in unlink_anon_vmas.
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* v1 = bare_vma(env);
  vm_area_struct* v2 = bare_vma(env);
  anon_vma_chain_link(v1, env.alloc_avc(CallSite::anon_vma_prepare), a1);
  vma_attach_anon_vma(v1, a1);
  vma_attach_anon_vma(v2, a1);
  EXPECT_EQ(broken("anon_vma put while in use (unlink_anon_vmas VM_WARN_ON)",
                   [&] { unlink_anon_vmas(env, v1); }),
            "unlink_anon_vmas of VMA #1 puts anon_vma #1, whose tree is empty but which has "
            "num_children 0 and num_active_vmas 1.");
}

// ---------------------------------------------------------------------------
// Frees (the Env)

TEST(Rules, APinnedAnonVmaIsNotFreed) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  EXPECT_EQ(broken("anon_vma freed while pinned (anon_vma_free VM_BUG_ON)",
                   [&] { env.free_anon_vma(a1, CallSite::put_anon_vma); }),
            "anon_vma #1 is freed with refcount 1.");
}

TEST(Rules, AnAnonVmaWithAvcsInItsTreeIsNotFreed) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma_chain_link(bare_vma(env), env.alloc_avc(CallSite::anon_vma_prepare), a1);
  anon_vma_test_access::refcount(*a1) = 0;
  EXPECT_EQ(broken("anon_vma freed with AVCs in its tree",
                   [&] { env.free_anon_vma(a1, CallSite::put_anon_vma); }),
            "anon_vma #1 is freed while AVCs are still linked in its interval tree.");
}

TEST(Rules, AnAvcIsFreedOnceAndOnlyOffItsList) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* vma = bare_vma(env);
  anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_prepare);
  anon_vma_chain_link(vma, avc, a1);
  EXPECT_EQ(broken("AVC freed while on a same_vma list",
                   [&] { env.free_avc(avc, CallSite::unlink_anon_vmas); }),
            "The AVC linking VMA #1 to anon_vma #1 is freed while still on the VMA's list.");
  anon_vma_chain never_allocated;
  EXPECT_EQ(broken("AVC freed twice",
                   [&] { env.free_avc(&never_allocated, CallSite::unlink_anon_vmas); }),
            "An AVC that is not live (freed already, or never allocated) is freed.");
}

TEST(Rules, AVmaIsFreedOnlyOnceUnlinked) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  vm_area_struct* vma = bare_vma(env);
  anon_vma_chain_link(vma, env.alloc_avc(CallSite::anon_vma_prepare), a1);
  vma_attach_anon_vma(vma, a1);
  EXPECT_EQ(broken("VMA freed while linked to anon_vmas", [&] { env.free_vma(vma); }),
            "VMA #1 is freed while still linked (active anon_vma #1, chain length 1).");
}

// ---------------------------------------------------------------------------
// The root rwsem (Env::lock)

TEST(Rules, OnlyAFamilyRootsRwsemIsTaken) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_child(env, CallSite::anon_vma_fork, a1);
  EXPECT_EQ(broken("rwsem taken on a non-root anon_vma",
                   [&] { env.lock(Lock::anon_vma_root_write, a2); }),
            "anon_vma #2 (root #1) is taken as a family root's rwsem.");
  EXPECT_EQ(
      broken("rwsem taken on a non-root anon_vma", [&] { env.lock(Lock::anon_vma_root_read); }),
      "no anon_vma is taken as a family root's rwsem.");
  EXPECT_EQ(env.rwsems_held(), 0u);
}

TEST(Rules, TheRootRwsemIsNotTakenTwice) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  env.lock(Lock::anon_vma_root_write, a1);
  EXPECT_EQ(env.rwsems_held(), 1u);
  // Write then write, or write then read: the kernel would deadlock.
  for (Lock again : {Lock::anon_vma_root_write, Lock::anon_vma_root_read})
    EXPECT_EQ(broken("root rwsem taken twice", [&] { env.lock(again, a1); }),
              "anon_vma #1's rwsem is taken while already held.");
  EXPECT_EQ(env.rwsems_held(), 1u);
  env.unlock(Lock::anon_vma_root_write, a1);
  EXPECT_EQ(env.rwsems_held(), 0u);
}

TEST(Rules, OnlyAHeldRootRwsemIsReleased) {
  // Unlocking what is not held used to erase end() in release builds.
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  EXPECT_EQ(broken("root rwsem released while not held",
                   [&] { env.unlock(Lock::anon_vma_root_write, a1); }),
            "anon_vma #1's rwsem is released but is not held.");
  env.lock(Lock::anon_vma_root_write, a1);
  env.unlock(Lock::anon_vma_root_write, a1);
  EXPECT_EQ(broken("root rwsem released while not held",
                   [&] { env.unlock(Lock::anon_vma_root_write, a1); }),
            "anon_vma #1's rwsem is released but is not held.");
  EXPECT_EQ(env.rwsems_held(), 0u);
}

TEST(Rules, RwsemsHeldCountsEachHeldRoot) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  env.lock(Lock::anon_vma_root_write, a1);
  env.lock(Lock::anon_vma_root_read, a2);
  env.lock(Lock::page_table_lock);  // not an rwsem
  EXPECT_EQ(env.rwsems_held(), 2u);
  env.unlock(Lock::page_table_lock);
  env.unlock(Lock::anon_vma_root_write, a1);
  EXPECT_EQ(env.rwsems_held(), 1u);
  env.unlock(Lock::anon_vma_root_read, a2);
  EXPECT_EQ(env.rwsems_held(), 0u);
}

// ---------------------------------------------------------------------------
// Links: the interval tree and the clones

TEST(Rules, AnIntervalTreeNodeIsLinkedOnceAndErasedFromItsOwnTree) {
  Env env;
  anon_vma* a1 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma* a2 = anon_vma_create_root(env, CallSite::anon_vma_prepare);
  anon_vma_chain* avc = env.alloc_avc(CallSite::anon_vma_prepare);
  anon_vma_chain_link(bare_vma(env), avc, a1);
  const std::string node =
      "node [" + std::to_string(kArenaPgoff) + ", " + std::to_string(kArenaPgoff + 7) + "]";
  EXPECT_EQ(broken("interval tree node inserted twice", [&] { a1->rb_root.insert(*avc); }),
            "The interval tree's " + node + " is inserted while already linked in a tree.");
  EXPECT_EQ(broken("interval tree node erased from a tree it is not in",
                   [&] { a2->rb_root.erase(*avc); }),
            "The interval tree's " + node + " is erased but is not in this tree.");
  EXPECT_EQ(a1->rb_root.validate(), "");  // neither attempt touched the tree
}

TEST(Rules, ACloneStartsFromAnUnlinkedVma) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 8\nP write 0");
  vm_area_struct* src = s.vma("P", 0);
  EXPECT_EQ(broken("clone into a VMA that has links", [&] { anon_vma_clone(s.env(), src, src); }),
            "anon_vma_clone into VMA #1, which is already linked (active anon_vma #1, chain "
            "length 1).");
  EXPECT_EQ(broken("clone into a VMA that has links", [&] { anon_vma_fork(s.env(), src, src); }),
            "anon_vma_fork into VMA #1, which is already linked (active anon_vma #1, chain "
            "length 1).");
}

// ---------------------------------------------------------------------------
// VMAs, processes, folios, faults

TEST(Rules, AVmaSplitsOnlyInsideItself) {
  Scenario s;
  s.setup("spawn P\nP mmap 4 8");
  vm_area_struct* vma = s.vma("P", 4);
  for (std::uint32_t at : {4u, 12u, 20u})
    EXPECT_EQ(
        broken("split point outside the VMA (__split_vma WARN_ON)",
               [&] { split_vma(s.machine(), vma, at, false); }),
        "VMA #1 [4, 12) is split at page " + std::to_string(at) + ", which is not inside it.");
  EXPECT_EQ(s.maps("P"), (testing::Lines{"[4-12) rw-p pgoff=A+4 flags=ac anon_vma=- chain=-"}));
}

TEST(Rules, AnMmKnowsEachOfItsVmasByItsStart) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4\nspawn Q\nQ mmap 0 4");
  mm_struct* p = s.mm("P");
  vm_area_struct* q_vma = s.vma("Q", 0);
  EXPECT_EQ(broken("VMA missing from its mm", [&] { p->vma_next(q_vma); }),
            "VMA #2 is not in process 0's VMA tree at page 0.");
  EXPECT_EQ(broken("VMA missing from its mm", [&] { p->erase(q_vma); }),
            "VMA #2 is not in process 0's VMA tree at page 0.");
  EXPECT_EQ(broken("two VMAs start at the same page", [&] { p->insert(q_vma); }),
            "VMA #2 is inserted at page 0 of process 0, where VMA #1 already starts.");
}

TEST(Rules, AProcessSlotIsSpawnedOnce) {
  Scenario s;
  s.setup("spawn P");
  EXPECT_EQ(broken("process slot reused", [&] { s.machine().spawn(0); }),
            "Process slot 0 is spawned a second time.");
}

TEST(Rules, MappingCountsDoNotUnderflow) {
  Scenario s;
  s.setup("spawn P");
  EXPECT_EQ(broken("shmem reference underflow", [&] { s.machine().shmem_put(7); }),
            "Shared memory object 7 loses a mapping it does not count.");
  folio* f = s.env().alloc_folio();  // mapped nowhere: mapcount 0
  EXPECT_EQ(broken("folio mapcount underflow", [&] { s.machine().put_folio(f); }),
            "Folio #" + std::to_string(f->id) + " loses a mapping while its mapcount is 0.");
}

TEST(Rules, AFaultNeedsTheVmasPermission) {
  Scenario s;
  s.setup("spawn P\nP mmap 0 4 r\nP mmap 8 4 none");
  mm_struct& mm = *s.mm("P");
  EXPECT_EQ(broken("fault without VMA permission", [&] { handle_write_fault(s.machine(), mm, 1); }),
            "A write fault at page 1 of process 0 finds a VMA without VM_WRITE.");
  EXPECT_EQ(broken("fault without VMA permission", [&] { handle_read_fault(s.machine(), mm, 8); }),
            "A read fault at page 8 of process 0 finds a VMA without VM_READ.");
  EXPECT_EQ(broken("fault without VMA permission", [&] { handle_read_fault(s.machine(), mm, 5); }),
            "A read fault at page 5 of process 0 finds no VMA.");
}

}  // namespace
}  // namespace rmaplab::model
