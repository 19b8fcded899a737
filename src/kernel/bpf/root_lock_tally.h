/* What the root lock classifier (root_lock.bpf.c) keeps per watched rwsem
 * count and root_lock_counter.cc reads back. Shared by the BPF program (C)
 * and the library (C++). */
#pragma once

#ifdef __cplusplus
#include <cstdint>
#define RMAPLAB_U64 std::uint64_t
#else
#define RMAPLAB_U64 __u64
#endif

struct rmaplab_root_lock_tally {
  RMAPLAB_U64 last;            /* the count after the previous write seen (0: unlocked) */
  RMAPLAB_U64 writes;          /* writes to the count seen */
  RMAPLAB_U64 write_acquired;  /* writes that set the writer bit: down_write */
  RMAPLAB_U64 read_acquired;   /* writes that added a reader: down_read */
  RMAPLAB_U64 unread;          /* hits whose count could not be read */
};

#undef RMAPLAB_U64
