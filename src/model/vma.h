// struct vm_area_struct: one mapping of one process (include/linux/mm_types.h
// in 6.18), reduced to what anonymous reverse mapping depends on.
//
// Addresses are arena pages ([vm_start, vm_end), see the workload language);
// vm_pgoff is the kernel's value: for private anonymous memory the virtual
// page number (arena base >> PAGE_SHIFT plus the page), for shared anonymous
// memory (a shmem file) the page offset into that file.
#pragma once

#include <cstdint>
#include <string>

#include "model/anon_vma.h"
#include "model/list.h"

namespace rmaplab::model {

struct mm_struct;

// The vm_flags bits that matter here; values are the kernel's.
enum vm_flag : std::uint32_t {
  VM_READ = 0x1,
  VM_WRITE = 0x2,
  VM_EXEC = 0x4,
  VM_SHARED = 0x8,
  VM_MAYREAD = 0x10,
  VM_MAYWRITE = 0x20,
  VM_MAYEXEC = 0x40,
  VM_MAYSHARE = 0x80,
  VM_DONTCOPY = 0x20000,
  VM_ACCOUNT = 0x100000,
  VM_WIPEONFORK = 0x2000000,
};
inline constexpr std::uint32_t VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

// The kernel's pgoff for arena page 0 of private anonymous memory.
inline constexpr std::uint64_t kArenaPgoff = 0x100000000000ULL >> 12;

struct vm_area_struct {
  std::uint32_t vm_start = 0;  // first page
  std::uint32_t vm_end = 0;    // one past the last page
  std::uint64_t vm_pgoff = 0;
  std::uint32_t vm_flags = 0;
  std::uint32_t shmem = 0;  // shmem object id of a shared mapping; 0 if private
  mm_struct* vm_mm = nullptr;
  // The active anon_vma: where new anonymous folios of this VMA go. Written
  // only by vma_attach_anon_vma / vma_detach_anon_vma (anon_vma.h).
  struct anon_vma* anon_vma = nullptr;
  list_head anon_vma_chain;  // AVCs, newest first, the root's last
  // The anon-vma-lazy design: anon_vma is the parent's, inherited at fork
  // (ANON_VMA_TREE_PARENT); the VMA gets its own when it forks or moves.
  bool lazy_parent = false;
  std::uint32_t id = 0;      // stable per run, for reports

  std::uint32_t pages() const { return vm_end - vm_start; }
  // The permissions as /proc/PID/maps prints them: "rw-p", "r--s".
  std::string maps_prot() const {
    std::string s;
    s += (vm_flags & VM_READ) ? 'r' : '-';
    s += (vm_flags & VM_WRITE) ? 'w' : '-';
    s += (vm_flags & VM_EXEC) ? 'x' : '-';
    s += (vm_flags & VM_SHARED) ? 's' : 'p';
    return s;
  }
  bool is_anonymous() const { return shmem == 0; }
  // A VMA whose chain came from fork: its chain is longer than one.
  bool is_fork_child() const { return anon_vma && !anon_vma_chain.singular(); }
  // The page offset that page `page` of this VMA maps.
  std::uint64_t pgoff_of(std::uint32_t page) const { return vm_pgoff + (page - vm_start); }

  template <class F>
  void for_each_avc(F&& f) const {  // newest first
    for (const list_head* n = anon_vma_chain.next; n != &anon_vma_chain; n = n->next)
      f(*::rmaplab::model::anon_vma_chain::from_same_vma(n));
  }
  template <class F>
  void for_each_avc(F&& f) {  // newest first; f must not unlink
    for (list_head* n = anon_vma_chain.next; n != &anon_vma_chain; n = n->next)
      f(*::rmaplab::model::anon_vma_chain::from_same_vma(n));
  }
};

}  // namespace rmaplab::model
