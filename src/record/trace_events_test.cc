// decode_trace_line() on lines recorded on Linux 6.18.44.
#include "record/trace_events.h"

#include <gtest/gtest.h>

namespace rmaplab::record {
namespace {

TraceEvent decode(std::string_view line) {
  auto e = decode_trace_line(line);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return e.ok() ? *e : TraceEvent{};
}

template <class T>
std::optional<T> body(std::string_view line) {
  TraceEvent e = decode(line);
  if (auto* b = std::get_if<T>(&e.body)) return *b;
  return std::nullopt;
}

TEST(TraceEvents, SysEnterHasTheNumberAndSixArguments) {
  TraceEvent e = decode(
      "            bash-14486   [001] ..... 11702.234932: sys_enter: NR 14 (0, 7ffe59fbce20, "
      "7ffe59fbcea0, 8, 7, 55abf8b3d950)");
  EXPECT_EQ(e.pid, 14486);
  EXPECT_EQ(e.cpu, 1);
  EXPECT_EQ(e.time_ns, 11702234932000u);
  auto* s = std::get_if<SysEnter>(&e.body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->nr, 14);
  EXPECT_EQ(s->args[1], 0x7ffe59fbce20u);
  EXPECT_EQ(s->args[5], 0x55abf8b3d950u);
}

TEST(TraceEvents, SysExitReturnsANegativeErrno) {
  TraceEvent e = decode("              sh-19932   [000] ..... 12271.087498: sys_exit: NR 21 = -2");
  auto* s = std::get_if<SysExit>(&e.body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->nr, 21);
  EXPECT_EQ(s->ret, -2);
}

TEST(TraceEvents, UserAndKernelFaults) {
  TraceEvent u = decode(
      "         cc1plus-14480   [001] d.... 11702.236124: page_fault_user: "
      "address=0x7f704b523000 ip=0x7f7058d6f0c9 error_code=0x6");
  auto* f = std::get_if<PageFault>(&u.body);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->user_mode);
  EXPECT_EQ(f->address, 0x7f704b523000u);
  EXPECT_EQ(f->error_code, 6u);
  // In the kernel, ip is printed as the function (%ps).
  TraceEvent k = decode(
      "              sh-19932   [000] d.... 12271.087439: page_fault_kernel: "
      "address=0x55e3b6a96240 ip=elf_load error_code=0x2");
  f = std::get_if<PageFault>(&k.body);
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->user_mode);
  EXPECT_EQ(f->ip, "elf_load");
}

TEST(TraceEvents, TaskEvents) {
  auto n = body<NewTask>(
      "   rmaplab-trace-19731   [001] ..... 12259.118953: task_newtask: pid=19732 "
      "comm=rmaplab-trace clone_flags=4100 oom_score_adj=0");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->child, 19732);
  EXPECT_EQ(n->clone_flags, 0x4100u);  // CLONE_VFORK|CLONE_VM
  auto f = body<ProcessFork>(
      "   rmaplab-trace-19731   [001] ..... 12259.118962: sched_process_fork: "
      "comm=rmaplab-trace pid=19731 child_comm=rmaplab-trace child_pid=19732");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->parent, 19731);
  EXPECT_EQ(f->child, 19732);
  // A file name with spaces.
  auto x = body<ProcessExec>(
      "              sh-19932   [000] ..... 12271.087498: sched_process_exec: "
      "filename=/tmp/a b pid=19932 old_pid=19932");
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->filename, "/tmp/a b");
  EXPECT_EQ(x->pid, 19932);
  auto d = body<ProcessExit>(
      " rmaplab-record--19733   [001] ..... 12259.127252: sched_process_exit: "
      "comm=rmaplab-record- pid=19733 prio=120 group_dead=true");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->group_dead);
  auto sig = body<SignalDeliver>(
      " rmaplab-record--19738   [000] d..1. 12259.645910: signal_deliver: sig=11 errno=0 code=1 "
      "sa_handler=0 sa_flags=0");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->sig, 11);
}

TEST(TraceEvents, KmemOfAnAvcAndOfAMergedCache) {
  TraceEvent e = decode(
      "            bash-14486   [001] ..... 11702.240487: kmem_cache_alloc: "
      "call_site=anon_vma_clone+0x66/0x1e0 ptr=ffff88810083ba40 name=anon_vma_chain bytes_req=64 "
      "bytes_alloc=64 gfp_flags=GFP_NOWAIT node=-1 accounted=true");
  auto* k = std::get_if<Kmem>(&e.body);
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->event.alloc);
  EXPECT_EQ(k->event.object, KernelObject::anon_vma_chain);
  EXPECT_EQ(k->event.call_site, "anon_vma_clone");
  EXPECT_EQ(k->event.ptr, 0xffff88810083ba40u);
  EXPECT_EQ(k->event.pid, 14486);
  // SLUB merged fs_cache into anon_vma_chain: the call site says it is not an AVC.
  e = decode(
      "            bash-14486   [001] ..... 11702.240460: kmem_cache_alloc: "
      "call_site=copy_fs_struct+0x22/0xb0 ptr=ffff88810083b1c0 name=anon_vma_chain bytes_req=64 "
      "bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=true");
  EXPECT_TRUE(std::holds_alternative<Ignored>(e.body));
}

TEST(TraceEvents, LostEventsAndComments) {
  auto lost = body<Lost>("CPU:1 [LOST 587 EVENTS]");
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->cpu, 1);
  EXPECT_EQ(lost->count, 587u);
  EXPECT_TRUE(std::holds_alternative<Ignored>(decode("# tracer: nop").body));
  EXPECT_TRUE(std::holds_alternative<Ignored>(decode("").body));
}

TEST(TraceEvents, AMalformedLineIsAnErrorThatQuotesIt) {
  auto e = decode_trace_line("  sh-1 [000] ..... 1.000000: sys_enter: NR 9 (0, 1)");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("sys_enter: NR 9 (0, 1)"), std::string::npos);
  EXPECT_FALSE(decode_trace_line("garbage without a header").ok());
}

}  // namespace
}  // namespace rmaplab::record
