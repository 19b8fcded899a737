// The modelled machine: the processes of one script run, the shared memory
// objects they map, and the environment everything is allocated from.
//
// It also applies one workload operation (an Op of script.h) the way the
// kernel's system call or fault would, and returns the kernel's result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/anon_rmap.h"
#include "model/env.h"
#include "model/mm.h"
#include "rmaplab/script.h"

namespace rmaplab::model {

// What an operation returned: 0, or the negative errno the kernel returns.
// A memory access the real process could not make (SIGSEGV, SIGBUS) is not
// a result but a script error; see Machine::apply.
struct OpResult {
  int error = 0;
  bool fault = false;  // the access would have killed the process
  std::uint32_t fault_page = 0;
};

// Why an access would kill the process, or nullptr if it is allowed.
const char* access_fault(const struct mm_struct& mm, const class Machine& m, std::uint32_t page,
                         bool write);

class Machine {
 public:
  explicit Machine(Env& env) : env_(env), rmap_(make_anon_rmap(env.profile())) {}
  // With a design of the caller's (a test's planted one).
  Machine(Env& env, std::unique_ptr<AnonRmap> rmap) : env_(env), rmap_(std::move(rmap)) {}
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Applies one operation of `script` (the script names the processes).
  OpResult apply(const Op& op);

  Env& env() { return env_; }
  const Env& env() const { return env_; }
  // The anonymous-rmap design of this run (the profile's, anon_rmap.h).
  AnonRmap& rmap() { return *rmap_; }
  const AnonRmap& rmap() const { return *rmap_; }
  // The process in `slot`, or null if it does not exist (yet, or any more).
  mm_struct* process(int slot) const;
  const std::vector<std::unique_ptr<mm_struct>>& processes() const { return procs_; }
  std::size_t live_processes() const { return live_processes_; }

  // Shared anonymous memory: each MAP_SHARED|MAP_ANONYMOUS mapping is a new
  // shmem object; its pages live as long as some VMA maps the object.
  // A new object of `pages` pages (shmem_zero_setup sizes it to the mapping).
  std::uint32_t shmem_create(std::uint32_t pages);
  // Pages past the object's end raise SIGBUS (an mremap can grow a shared
  // mapping beyond its object).
  bool shmem_in_bounds(std::uint32_t id, std::uint64_t pgoff) const;
  void shmem_get(std::uint32_t id);
  void shmem_put(std::uint32_t id);
  folio* shmem_folio(std::uint32_t id, std::uint64_t pgoff);       // creates on first use
  folio* shmem_find(std::uint32_t id, std::uint64_t pgoff) const;  // null if not cached
  std::size_t shmem_objects() const { return shmem_.size(); }

  // Drops one mapping of `f` (a PTE went away); frees an unmapped anonymous folio.
  void put_folio(folio* f);

  mm_struct* spawn(int slot);
  void release(int slot);  // after exit_mmap

 private:
  Env& env_;
  std::unique_ptr<AnonRmap> rmap_;
  std::vector<std::unique_ptr<mm_struct>> procs_;
  std::size_t live_processes_ = 0;
  std::uint32_t next_shmem_ = 1;
  struct Shmem {
    std::uint32_t refs = 0;   // VMAs mapping it
    std::uint32_t pages = 0;  // its size
  };
  std::map<std::uint32_t, Shmem> shmem_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, folio*> shmem_pages_;
};

}  // namespace rmaplab::model
