/* The kernel object reader's BPF program (see src/kernel/object_reader.h).
 *
 * dump_vmas, a task_vma iterator attached to one process (the iterator's pid
 * filter), writes for every VMA of the process in [range_start, range_end):
 * the VMA, the AVCs of its anon_vma_chain list in list order, and every
 * anon_vma those AVCs (and their root and parent pointers) name, once per
 * dump (`generation`), each followed by the AVCs of its interval tree in
 * tree order. On its first call it also writes the struct page of every PFN
 * in `pfn_list`. Everything goes to the ring buffer `records` as fixed-size
 * records (object_records.h); nothing is written to the seq_file, so a
 * VMA's output is not bound by the iterator's 32 KiB seq buffer.
 *
 * page_alloc (raw tracepoint mm_page_alloc) records the struct page pointers
 * allocated by one thread while `calib_tid` is set; user space pairs them
 * with the PFNs /proc/self/pagemap shows for the same pages to learn where
 * the kernel's struct page array starts (vmemmap_base is randomised and not
 * exported). */
#include "rmap_core.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "object_records.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 23); /* 8 MiB: object_reader.cc's kRingBufferMiB */
} records SEC(".maps");

/* anon_vma address -> the generation of the dump that last wrote it. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1 << 16);
  __type(key, __u64);
  __type(value, __u64);
} written SEC(".maps");

/* Set by user space before each read. */
__u64 range_start = 0, range_end = 0; /* [start, end) */
__u64 generation = 0;
__u32 npages = 0;
__u64 pfn_list[RMAPLAB_MAX_PAGES];
__u64 vmemmap_base = 0;

/* Reported back. */
__u64 lost = 0;       /* records the ring buffer had no room for */
__u64 pages_done = 0; /* the page records were written in this dump */

/* Calibration (page_alloc). */
__u32 calib_tid = 0;
__u32 calib_count = 0;
__u64 calib_pages[8];
__u64 page_struct_size = 0;

static __always_inline void emit(void* rec, __u64 size) {
  if (bpf_ringbuf_output(&records, rec, size, 0)) __sync_fetch_and_add(&lost, 1);
}

static __always_inline struct rb_node* rb_parent_of(struct rb_node* node) {
  return (struct rb_node*)(BPF_CORE_READ(node, __rb_parent_color) & ~3UL);
}

/* The in-order successor of node (the textbook algorithm), or NULL. */
static __always_inline struct rb_node* next_in_order(struct rb_node* node) {
  struct rb_node* right = BPF_CORE_READ(node, rb_right);
  if (right) {
    node = right;
    for (int i = 0; i < RMAPLAB_RB_DEPTH; i++) {
      struct rb_node* left = BPF_CORE_READ(node, rb_left);
      if (!left) break;
      node = left;
    }
    return node;
  }
  for (int i = 0; i < RMAPLAB_RB_DEPTH; i++) {
    struct rb_node* parent = rb_parent_of(node);
    if (!parent || BPF_CORE_READ(parent, rb_right) != node) return parent;
    node = parent;
  }
  return 0;
}

struct tree_walk {
  struct anon_vma* av;
  struct rb_node* node;
  __u32 index;
};

static long tree_step(__u32 i, void* data) {
  struct tree_walk* w = data;
  if (!w->node) return 1;
  struct anon_vma_chain* avc =
      (void*)((char*)w->node - bpf_core_field_offset(struct anon_vma_chain, rb));
  struct vm_area_struct* vma = BPF_CORE_READ(avc, vma);
  struct rmaplab_rec_tree rec = {
      .type = RMAPLAB_REC_TREE,
      .index = w->index++,
      .anon_vma = (__u64)w->av,
      .avc = (__u64)avc,
      .vma = (__u64)vma,
      .mm = (__u64)BPF_CORE_READ(vma, vm_mm),
      .vm_start = BPF_CORE_READ(vma, vm_start),
      .vm_end = BPF_CORE_READ(vma, vm_end),
      .vm_pgoff = BPF_CORE_READ(vma, vm_pgoff),
  };
  emit(&rec, sizeof(rec));
  w->node = next_in_order(w->node);
  return 0;
}

/* Writes the anon_vma at `address` and its tree once per dump. A global
 * function: the verifier checks it once, not at each of its four callers
 * (inlined, they made the program take five times as long to load). */
__attribute__((noinline)) int write_anon_vma(__u64 address) {
  if (!address) return 0;
  struct anon_vma* av = (struct anon_vma*)address;
  __u64 key = address;
  __u64* seen = bpf_map_lookup_elem(&written, &key);
  if (seen && *seen == generation) return 0;
  __u64 gen = generation;
  bpf_map_update_elem(&written, &key, &gen, 0); /* full map: written again, deduplicated above */
  struct tree_walk w = {.av = av, .node = BPF_CORE_READ(av, rb_root.rb_leftmost)};
  struct rmaplab_rec_anon_vma rec = {
      .type = RMAPLAB_REC_ANON_VMA,
      .refcount = BPF_CORE_READ(av, refcount.counter),
      .address = key,
      .root = (__u64)BPF_CORE_READ(av, root),
      .parent = (__u64)BPF_CORE_READ(av, parent),
      .num_children = BPF_CORE_READ(av, num_children),
      .num_active_vmas = BPF_CORE_READ(av, num_active_vmas),
  };
  bpf_loop(RMAPLAB_MAX_TREE, tree_step, &w, 0);
  rec.truncated = w.node != 0;
  emit(&rec, sizeof(rec));
  return 0;
}

struct chain_walk {
  struct vm_area_struct* vma;
  struct list_head *head, *pos;
  __u32 index;
};

static long chain_step(__u32 i, void* data) {
  struct chain_walk* w = data;
  if (w->pos == w->head) return 1;
  struct anon_vma_chain* avc =
      (void*)((char*)w->pos - bpf_core_field_offset(struct anon_vma_chain, same_vma));
  struct anon_vma* av = BPF_CORE_READ(avc, anon_vma);
  struct rmaplab_rec_chain rec = {
      .type = RMAPLAB_REC_CHAIN,
      .index = w->index++,
      .vma = (__u64)w->vma,
      .avc = (__u64)avc,
      .anon_vma = (__u64)av,
  };
  emit(&rec, sizeof(rec));
  write_anon_vma((__u64)av);
  if (av) {
    write_anon_vma((__u64)BPF_CORE_READ(av, root));
    write_anon_vma((__u64)BPF_CORE_READ(av, parent));
  }
  struct list_head* pos = w->pos; /* a plain read: chain_walk is not a kernel type */
  w->pos = BPF_CORE_READ(pos, next);
  return 0;
}

/* The members that were renamed, read under whichever name this kernel has
 * (the branch the running kernel lacks is dead code to the verifier). */
static __u64 page_index(struct page* page) {
  if (bpf_core_field_exists(page->__folio_index)) return BPF_CORE_READ(page, __folio_index);
  return BPF_CORE_READ((struct page___index*)page, index);
}

static __u64 page_compound_head(struct page* page) {
  if (bpf_core_field_exists(page->compound_head)) return BPF_CORE_READ(page, compound_head);
  return BPF_CORE_READ((struct page___compound_info*)page, compound_info);
}

struct page_walk {
  __u64 size;
};

static long page_step(__u32 i, void* data) {
  struct page_walk* w = data;
  if (i >= npages) return 1;
  __u64 pfn = pfn_list[i & (RMAPLAB_MAX_PAGES - 1)]; /* a power of two: the mask bounds it */
  struct page* page = (struct page*)(vmemmap_base + pfn * w->size);
  struct rmaplab_rec_page rec = {
      .type = RMAPLAB_REC_PAGE,
      .mapcount = BPF_CORE_READ(page, _mapcount.counter) + 1,
      .pfn = pfn,
      .page = (__u64)page,
      .mapping = (__u64)BPF_CORE_READ(page, mapping),
      .index = page_index(page),
      .compound_head = page_compound_head(page),
  };
  emit(&rec, sizeof(rec));
  return 0;
}

SEC("iter/task_vma")
int dump_vmas(struct bpf_iter__task_vma* ctx) {
  struct vm_area_struct* vma = ctx->vma;
  if (!vma) return 0; /* end of the iteration */
  if (!pages_done) {
    pages_done = 1;
    struct page_walk pw = {.size = bpf_core_type_size(struct page)};
    bpf_loop(RMAPLAB_MAX_PAGES, page_step, &pw, 0);
  }
  __u64 start = BPF_CORE_READ(vma, vm_start), end = BPF_CORE_READ(vma, vm_end);
  if (end <= range_start || start >= range_end) return 0;
  struct chain_walk w = {.vma = vma, .head = &vma->anon_vma_chain};
  w.pos = BPF_CORE_READ(vma, anon_vma_chain.next);
  struct rmaplab_rec_vma rec = {
      .type = RMAPLAB_REC_VMA,
      .tgid = BPF_CORE_READ(ctx, task, tgid),
      .vma = (__u64)vma,
      .mm = (__u64)BPF_CORE_READ(vma, vm_mm),
      .start = start,
      .end = end,
      .pgoff = BPF_CORE_READ(vma, vm_pgoff),
      .flags = BPF_CORE_READ(vma, vm_flags),
      .anon_vma = (__u64)BPF_CORE_READ(vma, anon_vma),
  };
  bpf_loop(RMAPLAB_MAX_CHAIN, chain_step, &w, 0);
  rec.truncated = w.pos != w.head;
  emit(&rec, sizeof(rec)); /* after its chain: the reader groups by rec.vma */
  write_anon_vma((__u64)BPF_CORE_READ(vma, anon_vma));
  return 0;
}

SEC("raw_tp/mm_page_alloc")
int page_alloc(__u64* ctx) {
  if (!calib_tid || (__u32)bpf_get_current_pid_tgid() != calib_tid) return 0;
  __u32 n = calib_count;
  if (n < 8) {
    calib_pages[n] = ctx[0];
    calib_count = n + 1;
  }
  page_struct_size = bpf_core_type_size(struct page);
  return 0;
}
