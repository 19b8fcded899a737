// parse_trace_line() and classify() on lines recorded on Linux 6.18.44.
#include "kernel/trace_parser.h"

#include <gtest/gtest.h>

#include "kernel/testdata.h"

namespace rmaplab::kernel {
namespace {

using testing::read_testdata;

KmemRecord kmem(std::string_view line) {
  TraceRecord r = parse_trace_line(line);
  EXPECT_TRUE(std::holds_alternative<KmemRecord>(r)) << line;
  return std::holds_alternative<KmemRecord>(r) ? std::get<KmemRecord>(r) : KmemRecord{};
}

TEST(TraceParser, AvcAllocOfAHelperWhoseNameEndsInDigits) {
  // comm "rmlh-15710" itself looks like "name-pid": the pid is the last one.
  KmemRecord r = kmem(
      "      rmlh-15710-15711   [000] .....   867.519223: kmem_cache_alloc: "
      "call_site=anon_vma_clone+0x66/0x1e0 ptr=ffff88811a033d80 name=anon_vma_chain "
      "bytes_req=64 bytes_alloc=64 gfp_flags=GFP_NOWAIT node=-1 accounted=true");
  EXPECT_EQ(r.pid, 15711);
  EXPECT_EQ(r.cpu, 0);
  EXPECT_TRUE(r.alloc);
  EXPECT_EQ(r.function, "anon_vma_clone");
  EXPECT_EQ(r.ptr, 0xffff88811a033d80u);
  EXPECT_EQ(r.cache, "anon_vma_chain");
  EXPECT_EQ(classify(r, r.function), ObjectKind::anon_vma_chain);
}

TEST(TraceParser, AnonVmaFree) {
  KmemRecord r = kmem(
      "      rmlh-15710-15712   [000] .....   867.519391: kmem_cache_free: "
      "call_site=__put_anon_vma+0x2d/0xa0 ptr=ffff888133170b60 name=anon_vma");
  EXPECT_EQ(r.pid, 15712);
  EXPECT_FALSE(r.alloc);
  EXPECT_EQ(r.function, "__put_anon_vma");
  EXPECT_EQ(r.ptr, 0xffff888133170b60u);
  EXPECT_EQ(classify(r, r.function), ObjectKind::anon_vma);
}

// Debian's 6.1 (6.1.0-50-cloud-amd64, booted with slab_nomerge): its
// kmem_cache_alloc has no name field; __anon_vma_prepare allocates both
// objects, the AVC first, and only the size tells them apart.
TEST(TraceParser, WithoutANameTheSizeTellsAnAnonVmaFromAnAvc) {
  KmemRecord avc = kmem(
      "          rmlh-1-77      [000] .....     3.302126: kmem_cache_alloc: "
      "call_site=__anon_vma_prepare+0x30/0x190 ptr=ffff888003a4c1c0 bytes_req=64 "
      "bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=true");
  EXPECT_EQ(avc.cache, "");
  EXPECT_EQ(avc.bytes_alloc, 64u);
  EXPECT_EQ(classify(avc, avc.function), ObjectKind::anon_vma_chain);
  KmemRecord av = kmem(
      "          rmlh-1-77      [000] .....     3.302636: kmem_cache_alloc: "
      "call_site=__anon_vma_prepare+0x107/0x190 ptr=ffff888003a4c1a0 bytes_req=96 "
      "bytes_alloc=104 gfp_flags=GFP_KERNEL node=-1 accounted=true");
  EXPECT_EQ(av.bytes_alloc, 104u);
  EXPECT_EQ(classify(av, av.function), ObjectKind::anon_vma);
  // Not an rmap function: whatever its size, not ours.
  KmemRecord other = kmem(
      "          rmlh-1-77      [000] .....     3.300837: kmem_cache_alloc: "
      "call_site=vm_area_alloc+0x1a/0x50 ptr=ffff888003a4c000 bytes_req=152 bytes_alloc=152 "
      "gfp_flags=GFP_KERNEL node=-1 accounted=true");
  EXPECT_EQ(classify(other, other.function), std::nullopt);
}

TEST(TraceParser, AnAllocationWithNeitherNameNorSizeIsMalformed) {
  TraceRecord r = parse_trace_line(
      "          rmlh-1-77      [000] .....     3.302126: kmem_cache_alloc: "
      "call_site=__anon_vma_prepare+0x30/0x190 ptr=ffff888003a4c1c0 bytes_req=64");
  EXPECT_TRUE(std::holds_alternative<MalformedRecord>(r));
}

// The anon_vma_chain slab is merged with fs_cache: fork's fs_struct and its
// free at exit print name=anon_vma_chain but are not AVCs.
TEST(TraceParser, MergedCacheObjectsOfOtherCallersAreNotAvcs) {
  KmemRecord fork = kmem(
      "      rmlh-15318-15320   [000] .....   848.022987: kmem_cache_alloc: "
      "call_site=copy_fs_struct+0x22/0xb0 ptr=ffff88810477f4c0 name=anon_vma_chain "
      "bytes_req=64 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=true");
  EXPECT_EQ(fork.cache, "anon_vma_chain");
  EXPECT_EQ(classify(fork, fork.function), std::nullopt);
  KmemRecord exit = kmem(
      "      rmlh-15318-15321   [000] .....   848.023046: kmem_cache_free: "
      "call_site=do_exit+0x781/0xab0 ptr=ffff88810477f4c0 name=anon_vma_chain");
  EXPECT_EQ(exit.function, "do_exit");
  EXPECT_EQ(classify(exit, exit.function), std::nullopt);
}

TEST(TraceParser, Marker) {
  TraceRecord r = parse_trace_line(
      "          timing-15710   [000] ...1.   867.519122: tracing_mark_write: "
      "rmaplab op 1 begin");
  ASSERT_TRUE(std::holds_alternative<MarkerRecord>(r));
  EXPECT_EQ(std::get<MarkerRecord>(r).pid, 15710);
  EXPECT_EQ(std::get<MarkerRecord>(r).text, "rmaplab op 1 begin");
}

TEST(TraceParser, LostEvents) {
  TraceRecord r = parse_trace_line("CPU:1 [LOST 587 EVENTS]");
  ASSERT_TRUE(std::holds_alternative<LostRecord>(r));
  EXPECT_EQ(std::get<LostRecord>(r).cpu, 1);
  EXPECT_EQ(std::get<LostRecord>(r).count, 587u);
}

TEST(TraceParser, VariantsOfTheHeaderAndCallSite) {
  // record-tgid, no irq-info, an unsymbolised call site, a comm with spaces.
  KmemRecord r = kmem(
      "  kworker/u8:1 x-42    (   40) [001]   12.5: kmem_cache_free: "
      "call_site=0xffffffff816045f1 ptr=(null) name=anon_vma_chain");
  EXPECT_EQ(r.pid, 42);
  EXPECT_EQ(r.cpu, 1);
  EXPECT_EQ(r.function, "");
  EXPECT_EQ(r.call_site_addr, 0xffffffff816045f1u);
  EXPECT_EQ(r.ptr, 0u);
  // A compiler-split piece of a function counts as the function.
  KmemRecord cold = kmem(
      "  a-7 [000] .....  1.0: kmem_cache_free: "
      "call_site=unlink_anon_vmas.cold+0x5/0x20 ptr=ffff888100000040 name=anon_vma_chain");
  EXPECT_EQ(cold.function, "unlink_anon_vmas");
  EXPECT_EQ(classify(cold, cold.function), ObjectKind::anon_vma_chain);
}

TEST(TraceParser, MalformedAndOtherLines) {
  EXPECT_TRUE(std::holds_alternative<OtherRecord>(parse_trace_line("")));
  EXPECT_TRUE(std::holds_alternative<OtherRecord>(parse_trace_line("# tracer: nop")));
  EXPECT_TRUE(std::holds_alternative<OtherRecord>(
      parse_trace_line("  sh-5 [000] .....  1.0: sched_switch: prev_comm=sh prev_pid=5")));
  EXPECT_TRUE(std::holds_alternative<MalformedRecord>(parse_trace_line("garbage")));
  EXPECT_TRUE(std::holds_alternative<MalformedRecord>(parse_trace_line(
      "  sh-5 [000] .....  1.0: kmem_cache_free: call_site=x+0x1/0x2 name=anon_vma")));
  EXPECT_TRUE(std::holds_alternative<MalformedRecord>(parse_trace_line(
      "  sh-5 [000] .....  1.0: kmem_cache_free: call_site=x+0x1/0x2 ptr=zz name=anon_vma")));
  EXPECT_TRUE(std::holds_alternative<MalformedRecord>(parse_trace_line("CPU:x [LOST")));
}

// Every line of every recorded sample parses to something known.
TEST(TraceParser, RecordedSamplesParseCompletely) {
  for (const char* file : {"fork_munmap_exit.trace", "fork_exit_unfiltered.trace",
                           "trace_file_other_process.trace", "lost_events.trace"}) {
    std::string text = read_testdata(file);
    ASSERT_FALSE(text.empty()) << file;
    int kmem_lines = 0, markers = 0, lost = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view line(text.data() + pos, nl - pos);
      TraceRecord r = parse_trace_line(line);
      EXPECT_FALSE(std::holds_alternative<MalformedRecord>(r)) << file << ": " << line;
      kmem_lines += std::holds_alternative<KmemRecord>(r);
      markers += std::holds_alternative<MarkerRecord>(r);
      lost += std::holds_alternative<LostRecord>(r);
      pos = nl + 1;
    }
    EXPECT_GT(kmem_lines, 0) << file;
    if (std::string_view(file) == "lost_events.trace")
      EXPECT_EQ(lost, 2);
    else
      EXPECT_GT(markers, 0) << file;
  }
}

// In the unfiltered sample, classify() keeps exactly the rmap.c objects.
TEST(TraceParser, ClassifyOnTheUnfilteredSample) {
  std::string text = read_testdata("fork_exit_unfiltered.trace");
  int anon_vma = 0, avc = 0, other = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    TraceRecord r = parse_trace_line(std::string_view(text.data() + pos, nl - pos));
    pos = nl + 1;
    auto* k = std::get_if<KmemRecord>(&r);
    if (!k) continue;
    auto kind = classify(*k, k->function);
    if (!kind)
      ++other;
    else if (*kind == ObjectKind::anon_vma)
      ++anon_vma;
    else
      ++avc;
  }
  EXPECT_EQ(anon_vma, 4);  // prepare, fork; frees at C's and P's exit
  EXPECT_EQ(avc, 6);       // 3 allocations (prepare, clone, fork), 3 frees
  EXPECT_EQ(other, 3);     // copy_fs_struct, do_exit x2
}

}  // namespace
}  // namespace rmaplab::kernel
