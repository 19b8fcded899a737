// The machine: process table, shared memory objects, and one workload
// operation at a time.
#include "model/machine.h"

#include <cerrno>

#include "model/rule.h"
#include "model/syscalls.h"

namespace rmaplab::model {

folio* zero_page() {
  static folio zero;
  return &zero;
}

Machine::~Machine() {
  // Objects go with the Env's pools; nothing here owns anything else.
}

mm_struct* Machine::process(int slot) const {
  if (slot < 0 || static_cast<std::size_t>(slot) >= procs_.size()) return nullptr;
  return procs_[slot].get();
}

mm_struct* Machine::spawn(int slot) {
  if (static_cast<std::size_t>(slot) >= procs_.size()) procs_.resize(slot + 1);
  MODEL_RULE(!procs_[slot], "process slot reused", "Process slot {} is spawned a second time.",
             slot);
  procs_[slot] = std::make_unique<mm_struct>();
  procs_[slot]->slot = slot;
  rmap_->mm_init(env_, *procs_[slot]);
  ++live_processes_;
  return procs_[slot].get();
}

void Machine::release(int slot) {
  if (!procs_[slot]) return;
  rmap_->mm_exit(env_, *procs_[slot]);
  --live_processes_;
  procs_[slot].reset();
}

std::uint32_t Machine::shmem_create(std::uint32_t pages) {
  const std::uint32_t id = next_shmem_++;
  shmem_[id] = {1, pages};
  return id;
}

bool Machine::shmem_in_bounds(std::uint32_t id, std::uint64_t pgoff) const {
  auto it = shmem_.find(id);
  return it != shmem_.end() && pgoff < it->second.pages;
}

void Machine::shmem_get(std::uint32_t id) { ++shmem_.at(id).refs; }

void Machine::shmem_put(std::uint32_t id) {
  auto it = shmem_.find(id);
  MODEL_RULE(it != shmem_.end() && it->second.refs > 0, "shmem reference underflow",
             "Shared memory object {} loses a mapping it does not count.", id);
  if (--it->second.refs > 0) return;
  shmem_.erase(it);
  // The last mapping went: the object and its page cache go with it.
  auto lo = shmem_pages_.lower_bound({id, 0});
  auto hi = shmem_pages_.lower_bound({id + 1, 0});
  for (auto p = lo; p != hi; ++p) env_.free_folio(p->second);
  shmem_pages_.erase(lo, hi);
}

folio* Machine::shmem_folio(std::uint32_t id, std::uint64_t pgoff) {
  folio*& f = shmem_pages_[{id, pgoff}];
  if (!f) {
    f = env_.alloc_folio();
    f->shmem = id;
    f->index = pgoff;
  }
  return f;
}

folio* Machine::shmem_find(std::uint32_t id, std::uint64_t pgoff) const {
  auto it = shmem_pages_.find({id, pgoff});
  return it == shmem_pages_.end() ? nullptr : it->second;
}

void Machine::put_folio(folio* f) {
  if (is_zero_page(f)) return;
  MODEL_RULE(f->mapcount > 0, "folio mapcount underflow",
             "Folio #{} loses a mapping while its mapcount is 0.", f->id);
  env_.touch(f);
  --f->mapcount;
  // Shared memory pages stay in their object's page cache.
  if (f->mapcount == 0 && f->is_anon()) {
    rmap_->folio_freed(env_, f);
    env_.free_folio(f);
  }
}

const char* access_fault(const mm_struct& mm, const Machine& m, std::uint32_t page, bool write) {
  const vm_area_struct* vma = mm.vma_lookup(page);
  if (!vma) return "not mapped";
  if (!(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
    return write ? "not writable" : "not readable";
  if (vma->shmem && !m.shmem_in_bounds(vma->shmem, vma->pgoff_of(page)))
    return "past the end of its shared memory object (SIGBUS)";
  return nullptr;
}

OpResult Machine::apply(const Op& op) {
  OpResult r;
  mm_struct* mm = process(op.proc);
  // With an injected allocation failure a fork can fail: its child (and the
  // child's children) never exist, and their operations have no process.
  if (!mm && op.verb != Verb::spawn) {
    r.error = -ESRCH;
    return r;
  }
  switch (op.verb) {
    case Verb::spawn:
      spawn(op.proc);
      return r;
    case Verb::mmap:
      r.error = do_mmap(*this, *mm, op.a, op.n, op.prot, op.shared);
      return r;
    case Verb::munmap:
      r.error = do_munmap(*this, *mm, op.a, op.n);
      return r;
    case Verb::mprotect:
      r.error = do_mprotect(*this, *mm, op.a, op.n, op.prot);
      return r;
    case Verb::mremap:
      r.error = do_mremap(*this, *mm, op.a, op.n, op.b, op.m);
      return r;
    case Verb::madvise:
      r.error = do_madvise(*this, *mm, op.a, op.n, op.advice);
      return r;
    case Verb::read:
    case Verb::write: {
      const bool write = op.verb == Verb::write;
      for (std::uint32_t p = op.a; p < op.a + op.n; ++p) {
        if (access_fault(*mm, *this, p, write)) {
          r.fault = true;
          r.fault_page = p;
          return r;
        }
        r.error = write ? handle_write_fault(*this, *mm, p) : handle_read_fault(*this, *mm, p);
        if (r.error) return r;  // OOM: the access did not complete
      }
      return r;
    }
    case Verb::fork: {
      mm_struct* child = spawn(op.child);
      r.error = dup_mmap(*this, *mm, *child);
      if (r.error) release(op.child);
      return r;
    }
    case Verb::exit:
      exit_mmap(*this, *mm);
      release(op.proc);
      return r;
  }
  return r;
}

}  // namespace rmaplab::model
