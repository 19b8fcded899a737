// The system calls and faults a workload performs, as Linux 6.18 runs them
// for anonymous memory. Each returns 0 or a negative errno, like the kernel;
// faults return 0 or -ENOMEM (VM_FAULT_OOM).
//
//   do_mmap            mmap.cc      MAP_FIXED|MAP_ANONYMOUS, private or shared
//   do_munmap          mmap.cc
//   do_mprotect        mprotect.cc
//   do_madvise         madvise.cc   dontneed, dontfork/dofork, wipeonfork/keeponfork
//   do_mremap          mremap.cc    in place (flags 0) or MAYMOVE|FIXED
//   handle_read_fault / handle_write_fault   memory.cc
//   dup_mmap / exit_mmap                     fork.cc
//
// Addresses are arena pages. Callers check that an access is allowed (an
// access the real process could not make is a script error, not a result).
#pragma once

#include <cstdint>

#include "model/machine.h"
#include "rmaplab/script.h"

namespace rmaplab::model {

int do_mmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Prot prot,
            bool shared);
int do_munmap(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages);
int do_mprotect(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Prot prot);
int do_madvise(Machine& m, mm_struct& mm, std::uint32_t start, std::uint32_t pages, Advice advice);
int do_mremap(Machine& m, mm_struct& mm, std::uint32_t addr, std::uint32_t old_pages,
              std::uint32_t new_addr, std::uint32_t new_pages);

int handle_read_fault(Machine& m, mm_struct& mm, std::uint32_t page);
int handle_write_fault(Machine& m, mm_struct& mm, std::uint32_t page);

// Fills `child` (empty) from `parent`. On -ENOMEM the child is torn down.
int dup_mmap(Machine& m, mm_struct& parent, mm_struct& child);
// Tears an address space down: zap, unlink_anon_vmas per VMA, free.
void exit_mmap(Machine& m, mm_struct& mm);

// VM_READ|VM_WRITE|VM_EXEC for a PROT value.
std::uint32_t prot_to_vm_flags(Prot prot);

}  // namespace rmaplab::model
