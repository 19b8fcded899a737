// The kernel's own rmap objects, read live (src/kernel/object_reader.cc):
// a process's VMAs, each VMA's anon_vma_chain list, the anon_vmas those
// chains name with their counters and interval trees, and the folios mapped
// at given addresses. Values are the kernel's, as read; addresses are kernel
// addresses. `rmaplab inspect` shows them; `rmaplab verify` compares them
// with the model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmaplab/status.h"

namespace rmaplab::kernel {

// struct vm_area_struct.
struct KernelVma {
  int pid = 0;                       // the process (thread group) it belongs to
  std::uint64_t address = 0;         // the vm_area_struct
  std::uint64_t mm = 0;              // vma->vm_mm
  std::uint64_t start = 0, end = 0;  // vm_start, vm_end (bytes)
  std::uint64_t pgoff = 0;           // vm_pgoff
  std::uint64_t flags = 0;           // vm_flags
  std::uint64_t anon_vma = 0;        // vma->anon_vma, 0 for none
  // The anon_vma of each AVC on vma->anon_vma_chain, in list order, and the
  // AVCs themselves.
  std::vector<std::uint64_t> chain, chain_avcs;
  bool truncated = false;  // the chain was longer than the reader's bound
};

// One AVC of an anon_vma's interval tree: the VMA it links.
struct TreeMember {
  std::uint64_t avc = 0, vma = 0, mm = 0;
  std::uint64_t vm_start = 0, vm_end = 0, vm_pgoff = 0;
  // The pgoff range [first, last] the AVC covers in the tree.
  std::uint64_t pgoff_first() const { return vm_pgoff; }
  std::uint64_t pgoff_last() const { return vm_pgoff + (vm_end - vm_start) / 4096 - 1; }
};

// struct anon_vma.
struct KernelAnonVma {
  std::uint64_t address = 0;
  std::uint64_t root = 0, parent = 0;
  int refcount = 0;
  std::uint64_t num_children = 0, num_active_vmas = 0;
  std::vector<TreeMember> tree;  // in tree (in-order) order
  bool truncated = false;        // the tree was larger than the reader's bound
};

// The folio mapped at a user address (order-0 folios: the page itself).
struct KernelPage {
  int pid = 0;
  std::uint64_t address = 0;   // the user address
  std::uint64_t pfn = 0;       // /proc/PID/pagemap
  std::uint64_t page = 0;      // the struct page
  std::uint64_t mapping = 0;   // page->mapping as read
  std::uint64_t anon_vma = 0;  // mapping without its tag if it is anonymous (bit 0), else 0
  std::uint64_t index = 0;     // the folio's index
  int mapcount = 0;            // page->_mapcount + 1
  bool compound = false;       // a tail page of a large folio: anon_vma/index/mapcount not read
};

struct ObjectDump {
  std::vector<KernelVma> vmas;           // per process asked for, in address order
  std::vector<KernelAnonVma> anon_vmas;  // each once, in address order
  std::vector<KernelPage> pages;         // in the order asked for
  const KernelAnonVma* find_anon_vma(std::uint64_t address) const;
};

// Why a read failed, for the exit code the caller chooses.
enum class ReadFailure {
  none,
  unavailable,    // built without the BPF toolchain
  not_root,       // no privilege to load BPF programs
  no_btf,         // the kernel has no BTF, or refused the program
  no_process,     // the PID names no process
  kernel_thread,  // the PID is a kernel thread: no user address space
  exited,         // the process exited during the read
  other,
};

struct ReadError {
  ReadFailure failure = ReadFailure::other;
  std::string message;  // one sentence
};

struct ReadRequest {
  int pid = 0;
  std::uint64_t start = 0, end = ~std::uint64_t{0};  // VMAs overlapping [start, end)
  bool pages = false;                                // the present pages of those VMAs (in range)
  std::vector<std::uint64_t> page_addresses;         // or these addresses only (with pages=false)
  // Optional, with page_addresses: their PFNs as the caller read them from
  // /proc/PID/pagemap (the runner's snapshot has), so they are not read again.
  std::vector<std::uint64_t> page_pfns;
};

// Reads every request's process into one dump (an anon_vma named by several
// processes appears once). The BPF program is loaded at the first call and
// kept loaded for the process's life; calls are serialised. The processes
// should be idle for a consistent picture: the reader takes no rmap lock.
// On failure returns false and fills *error.
bool read_objects(const std::vector<ReadRequest>& requests, ObjectDump* out, ReadError* error);

// Whether the object reader can run here (loads it); *why says why not.
bool object_reader_available(ReadError* why);

// Starts loading the object reader on a thread of its own (once), so that
// a later object_reader_available() or read_objects() finds it loaded.
void preload_object_reader();

}  // namespace rmaplab::kernel
