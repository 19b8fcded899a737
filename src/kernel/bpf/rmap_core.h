/* The kernel types the object reader's BPF program reads, declared with only
 * the members it uses. CO-RE (preserve_access_index) relocates every member
 * access against the running kernel's BTF at load time, so offsets here do
 * not matter; names and kinds must match the kernel's (include/linux/
 * mm_types.h, include/linux/rmap.h, include/linux/rbtree_types.h). */
#pragma once

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed int __s32;
typedef signed long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };

enum bpf_map_type {
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_ARRAY = 2,
  BPF_MAP_TYPE_RINGBUF = 27,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
  int counter;
} atomic_t;

struct list_head {
  struct list_head *next, *prev;
};

struct rb_node {
  unsigned long __rb_parent_color;
  struct rb_node* rb_right;
  struct rb_node* rb_left;
};

struct rb_root {
  struct rb_node* rb_node;
};

struct rb_root_cached {
  struct rb_root rb_root;
  struct rb_node* rb_leftmost;
};

struct mm_struct;

struct vm_area_struct {
  unsigned long vm_start;
  unsigned long vm_end;
  struct mm_struct* vm_mm;
  unsigned long vm_flags;
  struct list_head anon_vma_chain;
  struct anon_vma* anon_vma;
  unsigned long vm_pgoff;
};

struct anon_vma {
  struct anon_vma* root;
  atomic_t refcount;
  unsigned long num_children;
  unsigned long num_active_vmas;
  struct anon_vma* parent;
  struct rb_root_cached rb_root;
};

struct anon_vma_chain {
  struct vm_area_struct* vma;
  struct anon_vma* anon_vma;
  struct list_head same_vma;
  struct rb_node rb;
};

struct address_space;

struct page {
  struct address_space* mapping;
  unsigned long __folio_index;
  unsigned long compound_head;
  atomic_t _mapcount;
  atomic_t _refcount;
};

/* The same members under their names in other kernels; libbpf matches a
 * "___" flavour to the kernel's struct page. Before 6.16 the folio index
 * was page->index; from 7.x the compound head is page->compound_info. */
struct page___index {
  unsigned long index;
};

struct page___compound_info {
  unsigned long compound_info;
};

struct task_struct {
  int pid;
  int tgid;
};

struct seq_file;

struct bpf_iter_meta {
  struct seq_file* seq;
  __u64 session_id;
  __u64 seq_num;
};

struct bpf_iter__task_vma {
  struct bpf_iter_meta* meta;
  struct task_struct* task;
  struct vm_area_struct* vma;
};

#pragma clang attribute pop
