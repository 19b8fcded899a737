#include "rmaplab/record.h"

namespace rmaplab::record {

void Totals::add(const KmemEvent& e) {
  if (e.object == KernelObject::anon_vma)
    ++(e.alloc ? anon_vma_alloc : anon_vma_free);
  else
    ++(e.alloc ? avc_alloc : avc_free);
}

const Task* Recording::task(int pid) const {
  for (const Task& t : tasks)
    if (t.pid == pid) return &t;
  return nullptr;
}

Totals Recording::totals() const {
  Totals t;
  for (const Operation& op : ops)
    for (const KmemEvent& e : op.kmem) t.add(e);
  for (const KmemEvent& e : unexplained) t.add(e);
  return t;
}

std::string_view to_string(TaskOrigin origin) {
  switch (origin) {
    case TaskOrigin::launched: return "launched";
    case TaskOrigin::fork: return "fork";
    case TaskOrigin::vfork: return "vfork";
    case TaskOrigin::thread: return "thread";
    case TaskOrigin::vm_clone: return "vm_clone";
    case TaskOrigin::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::syscall: return "syscall";
    case OpKind::fault: return "fault";
    case OpKind::signal: return "signal";
    case OpKind::exit: return "exit";
  }
  return "syscall";
}

std::string_view to_string(KernelObject object) {
  return object == KernelObject::anon_vma ? "anon_vma" : "anon_vma_chain";
}

}  // namespace rmaplab::record
