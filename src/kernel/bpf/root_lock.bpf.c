/* The root lock classifier (see src/kernel/root_lock_counter.h).
 *
 * classify runs on every hit of a hardware write breakpoint on an anon_vma
 * root's rwsem.count. A data breakpoint traps after the write, so the count
 * it reads is the new value; comparing it with the value after the previous
 * hit tells what the write was. The rwsem layout (kernel/locking/rwsem.c):
 * bit 0 is the writer bit, readers are counted from bit 8 up. An
 * uncontended down_write sets the writer bit, up_write clears it, down_read
 * adds one reader, up_read takes it away; so the hits that set the writer bit
 * are the write acquisitions and those that add a reader the read ones. */
#include "rmap_core.h"

#include <bpf/bpf_helpers.h>

#include "root_lock_tally.h"

char LICENSE[] SEC("license") = "GPL";

/* The context of a perf_event program: struct bpf_perf_event_data
 * (include/uapi/linux/bpf_perf_event.h), x86-64's pt_regs being 21 words.
 * The verifier checks context accesses by offset, so only the layout
 * matters; addr is the breakpoint's address (perf_bp_event). */
struct perf_event_context {
  __u64 regs[21];
  __u64 sample_period;
  __u64 addr;
};

/* &root->rwsem.count -> its tally; user space adds and removes the keys. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u64);
  __type(value, struct rmaplab_root_lock_tally);
} tallies SEC(".maps");

#define RWSEM_WRITER_LOCKED 1ull
#define RWSEM_READER_SHIFT 8
#define RWSEM_READERS(count) (((count) >> RWSEM_READER_SHIFT) & ((1ull << 55) - 1))

SEC("perf_event")
int classify(struct perf_event_context *ctx) {
  __u64 address = ctx->addr;
  struct rmaplab_root_lock_tally *t = bpf_map_lookup_elem(&tallies, &address);
  if (!t) return 0;
  __u64 now = 0;
  if (bpf_probe_read_kernel(&now, sizeof now, (const void *)address)) {
    __sync_fetch_and_add(&t->unread, 1);
    return 0;
  }
  const __u64 before = t->last;
  if ((now & RWSEM_WRITER_LOCKED) && !(before & RWSEM_WRITER_LOCKED))
    __sync_fetch_and_add(&t->write_acquired, 1);
  else if (RWSEM_READERS(now) > RWSEM_READERS(before))
    __sync_fetch_and_add(&t->read_acquired, 1);
  t->last = now;
  __sync_fetch_and_add(&t->writes, 1);
  return 0; /* no sample: the tally is the output */
}
