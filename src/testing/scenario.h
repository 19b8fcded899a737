// The fixture of the model's scenario tests (src/model/*_test.cc).
//
// A scenario test reads like the kernel harness it is checked against
// (shared/docs/kernel-field-guide-tests/*.rml): build a state with
// workload-language lines, apply ONE operation, then assert every observable.
//
//   Scenario s;
//   s.setup("spawn P\nP mmap 0 16\nP write 0");   // each line must succeed
//   Step st = s.op("P munmap 4 4");               // the one operation
//   EXPECT_EQ(st.counts, (Counts{0, 0, 2, 1}));   // kernel: §11 row 22, A.rml L7
//
// The observables are rendered as strings (or lists of strings) so a test
// compares each one whole and a failure prints both sides:
//
//   Step::events   "+c2 anon_vma_clone", "-a1 __put_anon_vma"  (in order)
//   maps("P")      "[0-4) rw-p pgoff=A+0 flags=ac anon_vma=a1 chain=c2:a1"
//   anon_vmas()    "a1 root=a1 parent=a1 refcount=1 num_children=1
//                   num_active_vmas=2 tree=P[0-4),P[8-16)"
//   page("P", 0)   "f1 mapping=a1 index=A+0 mapcount=1 excl=1", "zero", "-"
//   rmap("P", 0)   "P[0-16)@0 maps", "C[0-16)@0 no"   (interval-tree order)
//   live()         "anon_vma=1 avc=2 vma=2 folio=2"
//
// Names: aN is the anon_vma with model id N, cN the AVC with id N, fN the
// folio with id N; ids count allocations from 1 in order, as the event log
// does, so a test can say which object an event is about. "A+n" is the
// pgoff of arena page n (what the harness's maps.py prints); shared memory
// shows its shmem offset. Flags: ac VM_ACCOUNT, dc VM_DONTCOPY,
// wf VM_WIPEONFORK (the smaps VmFlags mnemonics); any other unexpected bit
// is printed in hex so nothing changes unseen.
//
// After every operation the invariant checker (check/check.h) runs too; a
// broken rule fails the test. Processes are named as in the script; an
// exited process has no mm.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "check/check.h"
#include "model/env.h"
#include "model/machine.h"
#include "model/mm.h"
#include "model/rmap.h"
#include "model/vma.h"
#include "rmaplab/script.h"

namespace rmaplab {

// Counts{anon_vma alloc, anon_vma free, AVC alloc, AVC free} prints in the
// field guide's §11 notation: (1,0,2,0).
inline void PrintTo(const Counts& c, std::ostream* os) {
  *os << "(" << c.anon_vma_alloc << "," << c.anon_vma_free << "," << c.avc_alloc << ","
      << c.avc_free << ")";
}

}  // namespace rmaplab

namespace rmaplab::model::testing {

using Lines = std::vector<std::string>;

// What one operation did.
struct Step {
  std::string result = "ok";  // "ok", "EFAULT", ...; "OOM" for a failed fault
  Counts counts;
  Lines events;  // "+c3 anon_vma_clone", in the order they happened
};

inline std::string errno_string(int err) {
  switch (-err) {
    case 0:
      return "ok";
    case ENOMEM:
      return "ENOMEM";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case EPERM:
      return "EPERM";
    case EAGAIN:
      return "EAGAIN";
    default:
      return "E" + std::to_string(-err);
  }
}

class Scenario {
 public:
  Scenario() : env_(std::make_unique<Env>()), machine_(std::make_unique<Machine>(*env_)) {}
  // The same under another profile's rules (a profile test's scenario).
  explicit Scenario(const Profile& rules)
      : env_(std::make_unique<Env>(Env::Options{.profile = &rules})),
        machine_(std::make_unique<Machine>(*env_)) {}

  // Applies every line of `text`; each must parse, must not fault, and must
  // return 0 (a setup is a state, not a test).
  void setup(std::string_view text) {
    for (const Op& o : append(text)) {
      Step st = apply(o);
      if (st.result != "ok")
        ADD_FAILURE() << "setup line " << o.line << " (" << format_op(script_, o) << ") returned "
                      << st.result;
    }
  }

  // Applies the one operation on `line` and returns what it did.
  Step op(std::string_view line) {
    std::vector<Op> ops = append(line);
    if (ops.size() != 1) {
      ADD_FAILURE() << "op() takes exactly one operation, got " << ops.size() << ": " << line;
      return {};
    }
    return apply(ops[0]);
  }

  Machine& machine() { return *machine_; }
  Env& env() { return *env_; }

  // The process's address space; null (and a test failure) if it has none.
  mm_struct* mm(std::string_view proc) const {
    const int slot = slot_of(proc);
    mm_struct* m = slot < 0 ? nullptr : machine_->process(slot);
    if (!m) ADD_FAILURE() << "no live process " << proc;
    return m;
  }
  bool alive(std::string_view proc) const {
    const int slot = slot_of(proc);
    return slot >= 0 && machine_->process(slot) != nullptr;
  }

  // The VMA containing `page`; null (and a test failure) if none.
  vm_area_struct* vma(std::string_view proc, std::uint32_t page) const {
    mm_struct* m = mm(proc);
    vm_area_struct* v = m ? m->vma_lookup(page) : nullptr;
    if (m && !v) ADD_FAILURE() << proc << " has no VMA at page " << page;
    return v;
  }

  // The folio mapped at `page` (null if none; the zero page is a folio too).
  folio* folio_at(std::string_view proc, std::uint32_t page) const {
    mm_struct* m = mm(proc);
    return m ? m->ptes.get(page).page : nullptr;
  }

  // The live anon_vma with id `id`, or null.
  anon_vma* av(std::uint32_t id) const {
    for (anon_vma* a : env_->anon_vmas())
      if (a->id() == id) return a;
    return nullptr;
  }

  // --- observables as strings ---

  Lines maps(std::string_view proc) const {
    Lines out;
    if (mm_struct* m = mm(proc))
      m->for_each_vma([&](const vm_area_struct& v) { out.push_back(vma_string(v)); });
    return out;
  }

  std::string vma_string(const vm_area_struct& v) const {
    std::ostringstream os;
    os << range(v) << " " << prot(v.vm_flags) << " pgoff=" << pgoff(v.vm_pgoff, v.shmem != 0)
       << " flags=" << flags(v) << " anon_vma=" << av_name(v.anon_vma) << " chain=";
    if (v.anon_vma_chain.empty()) os << "-";
    bool first = true;
    v.for_each_avc([&](const anon_vma_chain& avc) {
      os << (first ? "" : ",") << "c" << env_->avc_id(&avc) << ":" << av_name(avc.anon_vma);
      first = false;
    });
    return os.str();
  }

  // Every live anon_vma, by id.
  Lines anon_vmas() const {
    std::vector<const anon_vma*> all(env_->anon_vmas().begin(), env_->anon_vmas().end());
    std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
    Lines out;
    for (const anon_vma* a : all) out.push_back(anon_vma_string(*a));
    return out;
  }

  std::string anon_vma_string(const anon_vma& a) const {
    std::ostringstream os;
    os << av_name(&a) << " root=" << av_name(a.root()) << " parent=" << av_name(a.parent())
       << " refcount=" << a.refcount() << " num_children=" << a.num_children()
       << " num_active_vmas=" << a.num_active_vmas() << " tree=";
    if (a.rb_root.empty()) os << "-";
    bool first = true;
    a.rb_root.for_each([&](const anon_vma_chain& avc) {
      os << (first ? "" : ",") << vma_name(*avc.vma);
      first = false;
    });
    return os.str();
  }

  // The page-table entry at `page`: "-", "zero", or the folio.
  std::string page(std::string_view proc, std::uint32_t page) const {
    const folio* f = folio_at(proc, page);
    if (!f) return "-";
    if (is_zero_page(f)) return "zero";
    std::ostringstream os;
    os << "f" << f->id;
    if (f->is_anon()) {
      os << " mapping=";
      if (!f->mapping)
        os << "-";
      else
        os << "a" << f->mapping_id << (env_->is_live(f->mapping, f->mapping_id) ? "" : "(freed)");
      os << " index=" << pgoff(f->index, false);
    } else {
      os << " shmem=" << f->shmem << " index=" << f->index;
    }
    os << " mapcount=" << f->mapcount;
    if (f->is_anon()) os << " excl=" << (f->anon_exclusive ? 1 : 0);
    return os.str();
  }

  // page() for pages [start, start+n).
  Lines pages(std::string_view proc, std::uint32_t start, std::uint32_t n) const {
    Lines out;
    for (std::uint32_t p = start; p < start + n; ++p) out.push_back(page(proc, p));
    return out;
  }

  // The rmap walk of the anonymous folio mapped at `page`.
  Lines rmap(std::string_view proc, std::uint32_t page) const {
    const folio* f = folio_at(proc, page);
    if (!f || is_zero_page(f) || !f->is_anon()) {
      ADD_FAILURE() << proc << " maps no anonymous folio at page " << page;
      return {};
    }
    Lines out;
    for (const RmapHit& h : machine_->rmap().walk(*f))
      out.push_back(vma_name(*h.vma) + "@" + std::to_string(h.page) + (h.maps ? " maps" : " no"));
    return out;
  }

  std::string live() const {
    std::ostringstream os;
    os << "anon_vma=" << env_->live_anon_vmas() << " avc=" << env_->live_avcs()
       << " vma=" << env_->live_vmas() << " folio=" << env_->live_folios();
    return os.str();
  }

 private:
  std::vector<Op> append(std::string_view text) {
    std::string next = text_;
    next.append(text);
    if (next.empty() || next.back() != '\n') next.push_back('\n');
    Result<Script> parsed = parse_script(next, "scenario.rml");
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.error().message;
      return {};
    }
    text_ = std::move(next);
    script_ = std::move(parsed).value();
    std::vector<Op> fresh(script_.ops.begin() + static_cast<std::ptrdiff_t>(applied_),
                          script_.ops.end());
    applied_ = script_.ops.size();
    return fresh;
  }

  Step apply(const Op& o) {
    const std::size_t first = env_->events().size();
    const OpResult r = machine_->apply(o);
    Step st;
    if (r.fault) {
      ADD_FAILURE() << "line " << o.line << " (" << format_op(script_, o)
                    << ") would SIGSEGV at page " << r.fault_page;
      st.result = "SIGSEGV";
      return st;
    }
    // Every state a test looks at must also satisfy the checker's rules.
    if (auto finding = check_invariants(*machine_, script_.procs))
      ADD_FAILURE() << "after line " << o.line << " (" << format_op(script_, o) << "): invariant "
                    << finding->rule << " broken: " << finding->message;
    const bool fault = o.verb == Verb::read || o.verb == Verb::write;
    st.result = fault && r.error ? "OOM" : errno_string(r.error);
    const auto& events = env_->events();
    for (std::size_t i = first; i < events.size(); ++i) {
      const Event& e = events[i];
      st.counts.add(e);
      st.events.push_back(std::string(e.type == EventType::alloc ? "+" : "-") +
                          (e.kind == ObjectKind::anon_vma ? "a" : "c") + std::to_string(e.id) +
                          " " + std::string(to_string(e.site)));
    }
    return st;
  }

  int slot_of(std::string_view proc) const {
    for (std::size_t i = 0; i < script_.procs.size(); ++i)
      if (script_.procs[i] == proc) return static_cast<int>(i);
    return -1;
  }

  static std::string range(const vm_area_struct& v) {
    return "[" + std::to_string(v.vm_start) + "-" + std::to_string(v.vm_end) + ")";
  }
  std::string vma_name(const vm_area_struct& v) const {
    const int slot = v.vm_mm ? v.vm_mm->slot : -1;
    const std::string who = slot >= 0 && static_cast<std::size_t>(slot) < script_.procs.size()
                                ? script_.procs[slot]
                                : "?";
    return who + range(v);
  }
  static std::string av_name(const anon_vma* a) { return a ? "a" + std::to_string(a->id()) : "-"; }
  static std::string pgoff(std::uint64_t pgoff, bool shared) {
    if (shared || pgoff < kArenaPgoff) return std::to_string(pgoff);
    return "A+" + std::to_string(pgoff - kArenaPgoff);
  }
  static std::string prot(std::uint32_t f) {
    std::string s;
    s += (f & VM_READ) ? 'r' : '-';
    s += (f & VM_WRITE) ? 'w' : '-';
    s += (f & VM_EXEC) ? 'x' : '-';
    s += (f & VM_SHARED) ? 's' : 'p';
    return s;
  }
  static std::string flags(const vm_area_struct& v) {
    std::string s;
    auto add = [&](const std::string& w) { s += (s.empty() ? "" : ",") + w; };
    const std::uint32_t f = v.vm_flags;
    if (f & VM_ACCOUNT) add("ac");
    if (f & VM_DONTCOPY) add("dc");
    if (f & VM_WIPEONFORK) add("wf");
    // mmap gives every mapping here VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC, and
    // shared ones VM_MAYSHARE; show a deviation rather than hide it.
    const std::uint32_t may = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_MAYSHARE;
    const std::uint32_t want_may =
        VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | ((f & VM_SHARED) ? std::uint32_t{VM_MAYSHARE} : 0u);
    if ((f & may) != want_may) {
      std::ostringstream os;
      os << "may=0x" << std::hex << (f & may);
      add(os.str());
    }
    const std::uint32_t known =
        VM_ACCESS_FLAGS | VM_SHARED | may | VM_ACCOUNT | VM_DONTCOPY | VM_WIPEONFORK;
    if (f & ~known) {
      std::ostringstream os;
      os << "0x" << std::hex << (f & ~known);
      add(os.str());
    }
    return s.empty() ? "-" : s;
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<Machine> machine_;
  std::string text_;
  Script script_;
  std::size_t applied_ = 0;
};

}  // namespace rmaplab::model::testing
