/* The binary records the object reader's BPF program (object_reader.bpf.c)
 * writes to its ring buffer and object_reader.cc reads: fixed-size, native
 * byte order, every field a kernel value as read (addresses are kernel
 * addresses). Shared by the BPF program (C) and the library (C++). */
#pragma once

#ifdef __cplusplus
#include <cstdint>
#define RMAPLAB_U32 std::uint32_t
#define RMAPLAB_S32 std::int32_t
#define RMAPLAB_U64 std::uint64_t
#else
#define RMAPLAB_U32 __u32
#define RMAPLAB_S32 __s32
#define RMAPLAB_U64 __u64
#endif

enum rmaplab_record_type {
  RMAPLAB_REC_VMA = 1,      /* struct rmaplab_rec_vma */
  RMAPLAB_REC_CHAIN = 2,    /* one AVC of a VMA's anon_vma_chain list, in order */
  RMAPLAB_REC_ANON_VMA = 3, /* struct rmaplab_rec_anon_vma, once per dump */
  RMAPLAB_REC_TREE = 4,     /* one AVC of an anon_vma's interval tree, in order */
  RMAPLAB_REC_PAGE = 5,     /* the struct page of a requested PFN */
};

/* Bounds of the program's walks; a walk that reaches one is reported. */
#define RMAPLAB_MAX_CHAIN 4096
#define RMAPLAB_MAX_TREE (1u << 20)
#define RMAPLAB_RB_DEPTH 96
#define RMAPLAB_MAX_PAGES 65536

struct rmaplab_rec_vma {
  RMAPLAB_U32 type, tgid;
  RMAPLAB_U64 vma, mm, start, end, pgoff, flags, anon_vma;
  RMAPLAB_U64 truncated; /* the chain walk stopped at RMAPLAB_MAX_CHAIN */
};

struct rmaplab_rec_chain {
  RMAPLAB_U32 type, index;
  RMAPLAB_U64 vma, avc, anon_vma;
};

struct rmaplab_rec_anon_vma {
  RMAPLAB_U32 type;
  RMAPLAB_S32 refcount;
  RMAPLAB_U64 address, root, parent, num_children, num_active_vmas;
  RMAPLAB_U64 truncated; /* the tree walk stopped at RMAPLAB_MAX_TREE */
};

struct rmaplab_rec_tree {
  RMAPLAB_U32 type, index;
  RMAPLAB_U64 anon_vma, avc, vma, mm, vm_start, vm_end, vm_pgoff;
};

struct rmaplab_rec_page {
  RMAPLAB_U32 type;
  RMAPLAB_S32 mapcount; /* page->_mapcount + 1 */
  RMAPLAB_U64 pfn, page, mapping, index, compound_head;
};
