// A read-only view of the modelled state after some operations of a run:
// what reports, diff and the generator may know of the model, as plain
// values, without reaching into its objects. Objects are named by their
// stable ids (per kind, 1-based, in allocation order).
//
// Each call reads the state as it is now; the view holds nothing of its
// own, so it stays valid while the Simulation steps on. Cost follows what
// is asked: a process's VMAs, a range's pages, one rmap walk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/run.h"

namespace rmaplab {

struct AnonVmaView {
  std::uint32_t id = 0, root = 0, parent = 0;  // a root is its own root and parent
  int refcount = 0, num_children = 0, num_active_vmas = 0;
};

// One AVC of an anon_vma's interval tree: the VMA it links.
struct TreeMemberView {
  int slot = -1;                     // the VMA's process
  std::uint32_t start = 0, end = 0;  // the VMA's arena pages
  std::uint64_t pgoff = 0;           // its vm_pgoff
};

struct VmaView {
  std::uint32_t id = 0;
  std::uint32_t start = 0, end = 0;  // arena pages [start, end)
  std::string prot;                  // /proc/PID/maps style: "rw-p", "r--s"
  std::uint64_t pgoff = 0;           // the kernel's vm_pgoff
  std::uint32_t shmem = 0;           // the shmem object it maps; 0: private
  std::uint32_t anon_vma = 0;        // the active anon_vma's id; 0: none
  std::vector<std::uint32_t> chain;  // anon_vma ids, in the chain's order
  bool faulted = false;              // has anonymous memory (in any design)
};

struct PageView {
  std::uint32_t page = 0;
  std::uint32_t folio = 0;  // 0 for the zero page
  bool zero_page = false;
  bool shmem = false;
  std::uint32_t anon_vma = 0;   // folio->mapping's id (anonymous folios)
  bool anon_vma_freed = false;  // folio->mapping names a freed anon_vma
  std::uint32_t cow_context = 0;  // the cow-context design: the folio's context id
  std::uint64_t index = 0;      // folio->index
  std::uint32_t mapcount = 0;
  bool exclusive = false;  // PG_anon_exclusive
};

// One VMA the rmap walk of a folio visits, in the interval tree's order.
struct RmapCandidate {
  int slot = -1;  // its process
  std::uint32_t vma_start = 0, vma_end = 0;
  std::uint32_t page = 0;  // where the folio would be mapped in it
  bool maps = false;
  bool page_table = false;        // a page table exists there (the walk takes its PTE lock)
  std::optional<PageView> there;  // what is mapped there instead, if anything
};

struct LiveCounts {
  std::size_t anon_vmas = 0, avcs = 0, vmas = 0, folios = 0;
};

class State {
 public:
  explicit State(const Simulation& sim) : sim_(sim) {}

  const Script& script() const { return sim_.script(); }
  std::string_view profile() const;
  // The line of the last operation applied (0: none yet).
  int line() const;

  bool alive(int slot) const;
  std::vector<int> processes() const;  // live slots, in slot order
  std::vector<VmaView> vmas(int slot) const;
  std::optional<VmaView> vma_at(int slot, std::uint32_t page) const;  // vma_lookup
  // Present pages of [start, end), in address order.
  std::vector<PageView> pages(int slot, std::uint32_t start, std::uint32_t end) const;
  std::vector<AnonVmaView> anon_vmas() const;  // live, by id
  // The interval tree of the live anon_vma `id`, in tree order (empty if
  // there is none).
  std::vector<TreeMemberView> tree(std::uint32_t id) const;
  LiveCounts live() const;

  // Why `slot` could not read (write) `page` (the process would die), or
  // nullptr if it can.
  const char* access_fault(int slot, std::uint32_t page, bool write) const;

  // The rmap walk of the anonymous folio `slot` maps at `page`; nothing if
  // no anonymous folio with a live anon_vma is mapped there.
  std::optional<std::vector<RmapCandidate>> rmap_walk(int slot, std::uint32_t page) const;

 private:
  const Simulation& sim_;
};

}  // namespace rmaplab
