// Attributor on recorded traces and on small hand-written ones.
#include "kernel/attribution.h"

#include <gtest/gtest.h>

#include "kernel/testdata.h"

namespace rmaplab::kernel {
namespace {

using testing::read_testdata;

std::string counts(const std::vector<Event>& events) {
  int n[4] = {};
  for (const Event& e : events)
    ++n[(e.kind == ObjectKind::anon_vma ? 0 : 2) + (e.type == EventType::alloc ? 0 : 1)];
  return std::to_string(n[0]) + " " + std::to_string(n[1]) + " " + std::to_string(n[2]) + " " +
         std::to_string(n[3]);
}

std::string compact(const std::vector<Event>& events) {
  std::string s;
  for (const Event& e : events) {
    if (!s.empty()) s += ' ';
    s += std::string(e.type == EventType::alloc ? "+" : "-") +
         (e.kind == ObjectKind::anon_vma ? "a" : "c") + std::to_string(e.id);
  }
  return s;
}

// 1 spawn P / 2 P mmap 0 16 / 3 P write 0 16 / 4 P mprotect 4 4 r /
// 5 P fork C / 6 C munmap 6 4 / 7 C exit / 8 P exit; P=15711, C=15712.
TEST(Attribution, RecordedRunnerTrace) {
  Attributor a({1, 2, 3, 4, 5, 6, 7, 8}, {}, 0);
  a.add_process(15711, 0);
  a.add_process(15712, 4);
  a.end_process(15712, 6);
  a.end_process(15711, 7);
  ASSERT_TRUE(a.feed_text(read_testdata("fork_munmap_exit.trace")).ok());
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  ASSERT_EQ(ops->size(), 8u);
  const std::vector<Event>* op = ops->data();
  EXPECT_EQ(counts(op[0]), "0 0 0 0");
  EXPECT_EQ(counts(op[1]), "0 0 0 0");
  EXPECT_EQ(counts(op[2]), "1 0 1 0");  // first write
  EXPECT_EQ(counts(op[3]), "0 0 2 0");  // mprotect middle, k=1
  EXPECT_EQ(counts(op[4]), "3 0 6 0");  // fork of 3 pieces sharing one anon_vma
  EXPECT_EQ(counts(op[5]), "0 0 4 4");  // munmap across a boundary in a fork child
  EXPECT_EQ(counts(op[6]), "0 3 0 6");  // the child's 3 VMAs, chain 2 each
  EXPECT_EQ(counts(op[7]), "0 1 0 3");  // the parent, last user of the root
  EXPECT_EQ(compact(op[2]), "+c1 +a1");
  EXPECT_EQ(compact(op[4]), "+c4 +a2 +c5 +c6 +a3 +c7 +c8 +a4 +c9");
  EXPECT_EQ(compact(op[7]), "-c2 -c1 -a1 -c3");
  EXPECT_EQ(op[2][0].call_site, "__anon_vma_prepare");
  EXPECT_EQ(op[2][0].pid, 15711);
  EXPECT_EQ(op[2][0].ptr, 0xffff88811a033840u);
  EXPECT_EQ(a.live(ObjectKind::anon_vma), 0u);
  EXPECT_EQ(a.live(ObjectKind::anon_vma_chain), 0u);
}

// The same trace handed over one operation at a time, each as soon as its
// end marker is read: the same events, and nothing kept once taken.
TEST(Attribution, OperationsAreTakenAsTheyClose) {
  Attributor a({1, 2, 3, 4, 5, 6, 7, 8}, {}, 0);
  a.add_process(15711, 0);
  a.add_process(15712, 4);
  std::vector<std::vector<Event>> taken;
  const std::string trace = read_testdata("fork_munmap_exit.trace");
  for (std::size_t pos = 0; pos < trace.size();) {
    std::size_t nl = trace.find('\n', pos);
    if (nl == std::string::npos) nl = trace.size();
    ASSERT_TRUE(a.feed(std::string_view(trace).substr(pos, nl - pos)).ok());
    pos = nl + 1;
    if (a.closed(taken.size())) {
      EXPECT_FALSE(a.closed(taken.size() + 1));
      taken.push_back(a.take(taken.size()));
      // The runner ends a process after its exit operation, before the next.
      if (taken.size() == 7) a.end_process(15712, 6);
      if (taken.size() == 8) a.end_process(15711, 7);
    }
  }
  ASSERT_EQ(taken.size(), 8u);
  EXPECT_EQ(compact(taken[4]), "+c4 +a2 +c5 +c6 +a3 +c7 +c8 +a4 +c9");
  EXPECT_EQ(counts(taken[5]), "0 0 4 4");
  EXPECT_EQ(compact(taken[7]), "-c2 -c1 -a1 -c3");
  auto rest = a.finish();
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_TRUE(rest->empty());
  EXPECT_EQ(a.live(ObjectKind::anon_vma), 0u);
}

// Without the call-site filter the merged cache's fs_struct objects appear
// (copy_fs_struct at fork, do_exit at exit; one was allocated before
// tracing): they are not AVCs, so they neither count nor look like a free
// of an unknown object.
TEST(Attribution, RecordedUnfilteredTraceKeepsOnlyRmapObjects) {
  Attributor a({1, 2, 3, 4, 5, 6}, {}, 0);
  a.add_process(15320, 0);
  a.add_process(15321, 3);
  a.end_process(15321, 4);
  a.end_process(15320, 5);
  ASSERT_TRUE(a.feed_text(read_testdata("fork_exit_unfiltered.trace")).ok());
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  EXPECT_EQ(counts((*ops)[2]), "1 0 1 0");
  EXPECT_EQ(counts((*ops)[3]), "1 0 2 0");
  EXPECT_EQ(counts((*ops)[4]), "0 1 0 2");
  EXPECT_EQ(counts((*ops)[5]), "0 1 0 1");
}

// Lines of another process (bash's own fork and its child /bin/true) are
// ignored even between our markers.
TEST(Attribution, OtherProcessesAreIgnored) {
  Attributor a({3}, {}, 1);  // bash wrote the markers on CPU 1
  a.add_process(4242, 0);
  ASSERT_TRUE(a.feed_text(read_testdata("trace_file_other_process.trace")).ok());
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  EXPECT_TRUE((*ops)[0].empty());
}

constexpr const char* kBegin1 = " r-1 [000] ...1. 1.0: tracing_mark_write: rmaplab op 1 begin";
constexpr const char* kEnd1 = " r-1 [000] ...1. 1.0: tracing_mark_write: rmaplab op 1 end";
constexpr const char* kBegin2 = " r-1 [000] ...1. 1.0: tracing_mark_write: rmaplab op 2 begin";
constexpr const char* kEnd2 = " r-1 [000] ...1. 1.0: tracing_mark_write: rmaplab op 2 end";

std::string alloc_av(int pid, const char* ptr) {
  return " h-" + std::to_string(pid) +
         " [000] ..... 1.0: kmem_cache_alloc: call_site=__anon_vma_prepare+0x11f/0x1e0 "
         "ptr=" +
         ptr + " name=anon_vma bytes_req=96";
}
std::string free_av(int pid, const char* ptr) {
  return " h-" + std::to_string(pid) +
         " [000] ..... 1.0: kmem_cache_free: call_site=__put_anon_vma+0x2d/0xa0 ptr=" + ptr +
         " name=anon_vma";
}

TEST(Attribution, ReusedPointerGetsANewId) {
  Attributor a({1, 2}, {}, 0);
  a.add_process(10, 0);
  for (const std::string& l :
       {std::string(kBegin1), alloc_av(10, "ffff1000"), free_av(10, "ffff1000"), std::string(kEnd1),
        std::string(kBegin2), alloc_av(10, "ffff1000"), std::string(kEnd2)})
    ASSERT_TRUE(a.feed(l).ok()) << l;
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(compact((*ops)[0]), "+a1 -a1");
  EXPECT_EQ(compact((*ops)[1]), "+a2");
  EXPECT_EQ(a.live(ObjectKind::anon_vma), 1u);
}

// A pid counts only while it serves the script: after its exit the number
// may belong to an unrelated process.
TEST(Attribution, PidsCountOnlyDuringTheirLifetime) {
  Attributor a({1, 2}, {}, 0);
  a.add_process(10, 0);
  a.end_process(10, 0);
  for (const std::string& l : {std::string(kBegin1), std::string(kEnd1), std::string(kBegin2),
                               alloc_av(10, "ffff1000"), std::string(kEnd2)})
    ASSERT_TRUE(a.feed(l).ok()) << l;
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE((*ops)[1].empty());
}

TEST(Attribution, UntrustworthyTracesAreErrors) {
  {
    Attributor a({1}, {}, 0);
    a.add_process(10, 0);
    ASSERT_TRUE(a.feed(kBegin1).ok());
    Status s = a.feed(free_av(10, "ffff2000"));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("never allocated"), std::string::npos);
  }
  {
    Attributor a({1}, {}, 0);
    a.add_process(10, 0);
    Status s = a.feed(alloc_av(10, "ffff2000"));  // before any operation
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("outside every operation"), std::string::npos);
  }
  {
    Attributor a({1}, {}, 0);
    ASSERT_TRUE(a.feed(kBegin1).ok());
    EXPECT_FALSE(a.feed("CPU:0 [LOST 3 EVENTS]").ok());
  }
  {
    Attributor a({1, 2}, {}, 0);
    EXPECT_FALSE(a.feed(kBegin2).ok());  // out of order
  }
  {
    Attributor a({1}, {}, 0);
    a.add_process(10, 0);
    ASSERT_TRUE(a.feed(kBegin1).ok());
    std::string on_cpu1 = alloc_av(10, "ffff2000");
    on_cpu1.replace(on_cpu1.find("[000]"), 5, "[001]");
    Status s = a.feed(on_cpu1);  // not pinned: the order is not trustworthy
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("CPU 1"), std::string::npos);
  }
  {
    Attributor a({1, 2}, {}, 0);
    ASSERT_TRUE(a.feed(kBegin1).ok());
    ASSERT_TRUE(a.feed(kEnd1).ok());
    auto ops = a.finish();  // operation 2 never began
    ASSERT_FALSE(ops.ok());
    EXPECT_NE(ops.error().message.find("line 2"), std::string::npos);
  }
}

// 6.1 with hash-ptr off prints "name=" empty in kmem_cache_free (recorded
// in a Debian 6.1 guest): a free takes the kind its object was allocated as.
TEST(Attribution, AFreeWithAnEmptyCacheNameIsOfTheKindItsObjectWasAllocatedAs) {
  Attributor a({1, 2}, {}, 0);
  a.add_process(77, 0);
  for (const std::string& l :
       {std::string(kBegin1),
        std::string(" rmlh-1-77 [000] ..... 3.1: kmem_cache_alloc: "
                    "call_site=__anon_vma_prepare+0x30/0x190 ptr=ffff18c0 bytes_req=64 "
                    "bytes_alloc=64 gfp_flags= node=-1 accounted=true"),
        std::string(" rmlh-1-77 [000] ..... 3.1: kmem_cache_alloc: "
                    "call_site=__anon_vma_prepare+0x107/0x190 ptr=ffff29c0 bytes_req=96 "
                    "bytes_alloc=104 gfp_flags= node=-1 accounted=true"),
        std::string(kEnd1), std::string(kBegin2),
        std::string(" rmlh-1-77 [000] ..... 3.2: kmem_cache_free: "
                    "call_site=__put_anon_vma+0x2d/0xa0 ptr=ffff29c0 name="),
        std::string(" rmlh-1-77 [000] ..... 3.2: kmem_cache_free: "
                    "call_site=unlink_anon_vmas+0x164/0x1d0 ptr=ffff18c0 name="),
        std::string(kEnd2)})
    ASSERT_TRUE(a.feed(l).ok()) << l;
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  EXPECT_EQ(compact((*ops)[0]), "+c1 +a1");
  EXPECT_EQ(compact((*ops)[1]), "-a1 -c1");
}

// An unsymbolised call site is resolved through the kallsyms ranges.
TEST(Attribution, BareCallSiteAddressesAreResolved) {
  Attributor a({1}, {{"unlink_anon_vmas", 0x1000, 0x1200}}, 0);
  a.add_process(10, 0);
  ASSERT_TRUE(a.feed(kBegin1).ok());
  ASSERT_TRUE(a.feed(" h-10 [000] ..... 1.0: kmem_cache_alloc: call_site=0x1100 "
                     "ptr=ffff3000 name=anon_vma_chain")
                  .ok());
  ASSERT_TRUE(a.feed(" h-10 [000] ..... 1.0: kmem_cache_alloc: call_site=0x2100 "
                     "ptr=ffff3040 name=anon_vma_chain")
                  .ok());  // not an rmap function: some other 64-byte object
  ASSERT_TRUE(a.feed(kEnd1).ok());
  auto ops = a.finish();
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ((*ops)[0].size(), 1u);
  EXPECT_EQ((*ops)[0][0].call_site, "unlink_anon_vmas");
}

}  // namespace
}  // namespace rmaplab::kernel
