// compare_runs: the model's record of a script against the kernel's.
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/verify.h"

namespace rmaplab {

std::string_view to_string(DiffKind kind) {
  switch (kind) {
    case DiffKind::result:
      return "result";
    case DiffKind::counts:
      return "counts";
    case DiffKind::events:
      return "events";
    case DiffKind::identity:
      return "identity";
    case DiffKind::layout:
      return "layout";
    case DiffKind::pages:
      return "pages";
    case DiffKind::objects:
      return "objects";
  }
  return "?";
}

namespace {

std::string describe(EventType type, ObjectKind kind, std::string_view site) {
  return fmt::format("{} {} in {}", to_string(type),
                     kind == ObjectKind::anon_vma ? "anon_vma" : "AVC", site);
}
std::string describe(const Event& e) { return describe(e.type, e.kind, to_string(e.site)); }
std::string describe(const kernel::Event& e) { return describe(e.type, e.kind, e.call_site); }

std::string vmas_text(
    const std::vector<std::pair<std::uint32_t, std::pair<std::uint32_t, std::string>>>& v) {
  std::string s;
  for (auto& [start, rest] : v)
    s += fmt::format("{}[{},{}){}", s.empty() ? "" : " ", start, rest.first, rest.second);
  return s.empty() ? "(none)" : s;
}

}  // namespace

struct RunComparer::State {
  State(const Script& script, bool keep_ops) : script_(script), keep_ops_(keep_ops) {}

  void op(const OpRecord& m, const kernel::OpResult& k, const ::rmaplab::State* st) {
    OpComparison oc;
    oc.line = m.line;
    oc.op = m.text;
    oc.model_result = m.result;
    oc.kernel_result = k.result;
    oc.model = m.counts;
    oc.kernel = k.counts();
    current_ = &oc;
    if (oc.model_result != oc.kernel_result)
      differ(DiffKind::result,
             fmt::format("model returns {}, kernel returns {}", oc.model_result, oc.kernel_result));
    if (oc.model != oc.kernel)
      differ(DiffKind::counts,
             fmt::format(
                 "model (anon_vma +{} -{}, AVC +{} -{}), kernel (anon_vma +{} -{}, AVC +{} -{})",
                 oc.model.anon_vma_alloc, oc.model.anon_vma_free, oc.model.avc_alloc,
                 oc.model.avc_free, oc.kernel.anon_vma_alloc, oc.kernel.anon_vma_free,
                 oc.kernel.avc_alloc, oc.kernel.avc_free));
    events(m, k);
    track_pointers(k);
    if (!k.after.empty()) snapshots(m, k);
    if (st && k.objects) objects(*st, k);
    if (k.root_locks) root_locks(m, *k.root_locks);
    keep(std::move(oc));
  }

  void one_sided(int line, std::string op, std::string model_result, std::string kernel_result,
                 std::size_t model_ops, std::size_t kernel_ops) {
    OpComparison oc;
    oc.line = line;
    oc.op = std::move(op);
    oc.model_result = std::move(model_result);
    oc.kernel_result = std::move(kernel_result);
    current_ = &oc;
    differ(DiffKind::result,
           fmt::format("the model recorded {} operations, the kernel {}", model_ops, kernel_ops));
    keep(std::move(oc));
  }

  void keep(OpComparison&& oc) {
    ++out_.operations;
    if (!oc.differs.empty()) ++out_.differences;
    if (keep_ops_) out_.ops.push_back(std::move(oc));
  }

  void differ(DiffKind kind, std::string message) {
    for (DiffKind d : current_->differs)
      if (d == kind) return;  // one note per kind and operation
    current_->differs.push_back(kind);
    for (const Difference& d : out_.first)
      if (d.kind == kind) return;
    out_.first.push_back({kind, current_->line, current_->op, std::move(message)});
  }

  void events(const OpRecord& m, const kernel::OpResult& k) {
    const std::size_t n = std::min(m.events.size(), k.events.size());
    for (std::size_t i = 0; i < n; ++i) {
      const Event& me = m.events[i];
      const kernel::Event& ke = k.events[i];
      if (me.type != ke.type || me.kind != ke.kind || to_string(me.site) != ke.call_site) {
        differ(DiffKind::events,
               fmt::format("event {}: model {}, kernel {}", i + 1, describe(me), describe(ke)));
        pair_rest(m, k, i);
        return;
      }
      identity(me, ke);
    }
    if (m.events.size() != k.events.size()) {
      differ(DiffKind::events,
             fmt::format("model has {} events, kernel {}", m.events.size(), k.events.size()));
      pair_rest(m, k, n);
    }
  }

  // Past the first mismatch the sequences no longer line up, but the objects
  // still must: pair the remaining allocations of each kind in order, then
  // the remaining frees, so one misplaced event does not make every later
  // free of those objects look like an identity difference too. (Ids are
  // never reused, so taking allocations first is safe.)
  void pair_rest(const OpRecord& m, const kernel::OpResult& k, std::size_t from) {
    for (const EventType type : {EventType::alloc, EventType::free})
      for (const ObjectKind kind : {ObjectKind::anon_vma, ObjectKind::anon_vma_chain}) {
        std::vector<const Event*> ms;
        std::vector<const kernel::Event*> ks;
        for (std::size_t i = from; i < m.events.size(); ++i)
          if (m.events[i].type == type && m.events[i].kind == kind) ms.push_back(&m.events[i]);
        for (std::size_t i = from; i < k.events.size(); ++i)
          if (k.events[i].type == type && k.events[i].kind == kind) ks.push_back(&k.events[i]);
        for (std::size_t i = 0; i < std::min(ms.size(), ks.size()); ++i) identity(*ms[i], *ks[i]);
      }
  }

  void identity(const Event& me, const kernel::Event& ke) {
    const bool av = me.kind == ObjectKind::anon_vma;
    auto& k2m = av ? k2m_av_ : k2m_avc_;
    auto& m2k = av ? m2k_av_ : m2k_avc_;
    const char* kind = av ? "anon_vma" : "AVC";
    if (me.type == EventType::alloc) {
      k2m[ke.id] = me.id;
      m2k[me.id] = ke.id;
      return;
    }
    auto it = k2m.find(ke.id);
    if (it == k2m.end() || it->second != me.id) {
      auto other = m2k.find(me.id);
      differ(DiffKind::identity,
             fmt::format("the model frees {} #{}, but the kernel frees {}", kind, me.id,
                         it == k2m.end() ? std::string("an object allocated before the script")
                                         : fmt::format("the one the model calls #{}", it->second)) +
                 (other != m2k.end()
                      ? fmt::format(" (the model's #{} is the kernel's #{})", me.id, other->second)
                      : std::string()));
    }
    k2m.erase(ke.id);
    m2k.erase(me.id);
  }

  void snapshots(const OpRecord& m, const kernel::OpResult& k) {
    out_.compared_snapshots = true;
    std::map<std::string, const ProcessRecord*> model_procs;
    for (const ProcessRecord& p : m.layout) model_procs[p.name] = &p;
    std::map<std::string, const kernel::ProcessState*> kernel_procs;
    for (const kernel::ProcessState& p : k.after)
      if (p.alive) kernel_procs[p.name] = &p;
    if (!k.after_all) {
      // Only the processes the kernel listed: one it lists as exited must
      // not be alive in the model either.
      std::map<std::string, const ProcessRecord*> listed;
      for (const kernel::ProcessState& p : k.after) {
        auto it = model_procs.find(p.name);
        if (it != model_procs.end()) listed.insert(*it);
        if (!p.alive && it != model_procs.end())
          differ(DiffKind::layout,
                 fmt::format("{}: alive in the model, exited on the kernel", p.name));
      }
      model_procs = std::move(listed);
    }

    // Layout.
    for (const auto& [name, kp] : kernel_procs) {
      auto mp = model_procs.find(name);
      std::vector<std::pair<std::uint32_t, std::pair<std::uint32_t, std::string>>> kv, mv;
      for (const kernel::VmaLayout& v : kp->vmas) kv.push_back({v.start, {v.end, v.prot}});
      if (mp != model_procs.end())
        for (const VmaRecord& v : mp->second->vmas) mv.push_back({v.start, {v.end, v.prot}});
      if (kv != mv) {
        differ(DiffKind::layout,
               fmt::format("{}: model {} ; kernel {}", name, vmas_text(mv), vmas_text(kv)));
        break;
      }
    }
    if (kernel_procs.size() != model_procs.size())
      differ(DiffKind::layout, fmt::format("model has {} live processes, kernel {}",
                                           model_procs.size(), kernel_procs.size()));

    // Pages: present pages, zero page, mapcount, and which share a frame.
    std::map<std::uint64_t, std::string> kernel_frame_owner;
    std::map<std::uint32_t, std::string> model_folio_owner;
    for (const auto& [name, kp] : kernel_procs) {
      auto mp = model_procs.find(name);
      if (mp == model_procs.end()) continue;
      std::map<std::uint32_t, const PageRecord*> mpages;
      for (const PageRecord& p : mp->second->pages) mpages[p.page] = &p;
      std::set<std::uint32_t> kseen;
      for (const kernel::PageInfo& kpg : kp->pages) {
        kseen.insert(kpg.page);
        auto it = mpages.find(kpg.page);
        if (it == mpages.end()) {
          differ(DiffKind::pages,
                 fmt::format("{} page {}: mapped on the kernel{}, not in the model", name, kpg.page,
                             kpg.zero_page ? " (zero page)" : ""));
          return;
        }
        const PageRecord& mpg = *it->second;
        if (mpg.zero_page != kpg.zero_page) {
          differ(DiffKind::pages, fmt::format("{} page {}: {} in the model, {} on the kernel", name,
                                              kpg.page, mpg.zero_page ? "zero page" : "a folio",
                                              kpg.zero_page ? "zero page" : "a page"));
          return;
        }
        if (kpg.zero_page) continue;
        if (mpg.mapcount != kpg.mapcount) {
          differ(DiffKind::pages,
                 fmt::format("{} page {}: mapcount {} in the model, {} on the kernel", name,
                             kpg.page, mpg.mapcount, kpg.mapcount));
          return;
        }
        // Sharing: the first (process, page) seen on each frame names it.
        const std::string here = fmt::format("{} page {}", name, kpg.page);
        const std::string& kown = kernel_frame_owner.emplace(kpg.pfn, here).first->second;
        const std::string& mown = model_folio_owner.emplace(mpg.folio, here).first->second;
        if (kown != mown) {
          differ(DiffKind::pages,
                 fmt::format("{}: shares its page with {} on the kernel, with {} in the model",
                             here, kown == here ? "nobody before it" : kown,
                             mown == here ? "nobody before it" : mown));
          return;
        }
      }
      for (const auto& [page, rec] : mpages)
        if (!kseen.count(page)) {
          differ(DiffKind::pages,
                 fmt::format("{} page {}: mapped in the model, not on the kernel", name, page));
          return;
        }
    }
  }

  // The kernel's id of each live anon_vma, by its address (from the events).
  void track_pointers(const kernel::OpResult& k) {
    for (const kernel::Event& e : k.events)
      if (e.kind == ObjectKind::anon_vma) {
        if (e.type == EventType::alloc)
          av_ptr_[e.ptr] = e.id;
        else
          av_ptr_.erase(e.ptr);
      }
  }

  // The kernel's anon_vma at `address` in the model's names: "none", "#N"
  // (the model object it pairs with), or what it is if it pairs with none.
  std::string kernel_name(std::uint64_t address) const {
    if (!address) return "none";
    auto p = av_ptr_.find(address);
    if (p == av_ptr_.end()) return fmt::format("{:#x} (not allocated by the script)", address);
    auto m = k2m_av_.find(p->second);
    if (m == k2m_av_.end())
      return fmt::format("kernel #{} (paired with no model object)", p->second);
    return fmt::format("#{}", m->second);
  }
  static std::string model_name(std::uint32_t id) { return id ? fmt::format("#{}", id) : "none"; }

  std::string slot_name(int slot) const {
    return slot >= 0 && std::size_t(slot) < script_.procs.size() ? script_.procs[std::size_t(slot)]
                                                                 : std::string("?");
  }

  // Root rwsem acquisitions, kind by kind where the kernel's writes to the
  // count could be told apart (every one half of an acquire/release pair),
  // else in total: two writes per acquisition.
  void root_locks(const OpRecord& m, const kernel::RootLockCount& k) {
    ++out_.root_locks_measured;
    const std::uint64_t w = m.locks[Lock::anon_vma_root_write],
                        r = m.locks[Lock::anon_vma_root_read];
    if (k.classified()) {
      ++out_.root_locks_by_kind;
      if (w != k.write_acquired || r != k.read_acquired)
        differ(DiffKind::objects,
               fmt::format("root rwsem: the model takes it {} times for write and {} for read, "
                           "the kernel {} and {}",
                           w, r, k.write_acquired, k.read_acquired));
    } else if (2 * (w + r) != k.writes) {
      differ(DiffKind::objects,
             fmt::format("root rwsem: the model takes it {} times ({} write, {} read), the kernel "
                         "{} times ({} writes to its count, not all of them acquisitions or "
                         "releases)",
                         w + r, w, r, k.writes / 2.0, k.writes));
    }
  }

  // Object depth (kernel::OpResult::objects against the model's state).
  void objects(const ::rmaplab::State& st, const kernel::OpResult& k) {
    out_.depth = "objects";
    const kernel::ObjectDump& d = *k.objects;
    std::map<int, int> pid_slot;
    for (const kernel::ProcessState& p : k.after)
      if (p.alive) pid_slot[p.pid] = p.slot;
    std::map<int, std::vector<const kernel::KernelVma*>> kvmas;
    for (const kernel::KernelVma& v : d.vmas) {
      auto s = pid_slot.find(v.pid);
      if (s == pid_slot.end()) continue;
      mm_slot_[v.mm] = s->second;
      kvmas[s->second].push_back(&v);
    }
    auto page_of = [](std::uint64_t address) {
      return std::uint32_t((address - kArenaBase) / kPageSize);
    };

    // Each VMA's anon_vma and chain.
    for (const auto& [pid, slot] : pid_slot) {
      const std::vector<VmaView> mv = st.vmas(slot);
      const auto& kv = kvmas[slot];
      if (mv.size() != kv.size()) {
        differ(DiffKind::objects, fmt::format("{}: {} VMAs in the model, {} on the kernel",
                                              slot_name(slot), mv.size(), kv.size()));
        return;
      }
      for (std::size_t i = 0; i < mv.size(); ++i) {
        const VmaView& m = mv[i];
        const kernel::KernelVma& kvma = *kv[i];
        const std::string where = fmt::format("{} VMA [{},{})", slot_name(slot), m.start, m.end);
        if (page_of(kvma.start) != m.start || page_of(kvma.end) != m.end) {
          differ(DiffKind::objects, fmt::format("{}: the kernel's is [{},{})", where,
                                                page_of(kvma.start), page_of(kvma.end)));
          return;
        }
        if (m.pgoff != kvma.pgoff) {
          differ(DiffKind::objects,
                 fmt::format("{}: vm_pgoff {:#x} in the model, {:#x} on the kernel", where, m.pgoff,
                             kvma.pgoff));
          return;
        }
        const std::string ka = kernel_name(kvma.anon_vma), ma = model_name(m.anon_vma);
        if (ka != ma) {
          differ(
              DiffKind::objects,
              fmt::format("{}: vma->anon_vma is {} in the model, {} on the kernel", where, ma, ka));
          return;
        }
        std::string kc, mc;
        for (std::uint64_t a : kvma.chain) kc += (kc.empty() ? "" : " ") + kernel_name(a);
        for (std::uint32_t a : m.chain) mc += (mc.empty() ? "" : " ") + model_name(a);
        if (kc != mc) {
          differ(DiffKind::objects,
                 fmt::format("{}: chain [{}] in the model, [{}] on the kernel", where, mc, kc));
          return;
        }
      }
    }

    // Each anon_vma the chains name: counters, root, parent, tree.
    std::unordered_map<std::uint32_t, AnonVmaView> mavs;
    for (const AnonVmaView& a : st.anon_vmas()) mavs[a.id] = a;
    for (const kernel::KernelAnonVma& a : d.anon_vmas) {
      const std::string name = kernel_name(a.address);
      auto p = av_ptr_.find(a.address);
      auto mid = p == av_ptr_.end() ? k2m_av_.end() : k2m_av_.find(p->second);
      if (mid == k2m_av_.end()) {
        differ(DiffKind::objects,
               fmt::format("the kernel's anon_vma {} has no model anon_vma", name));
        return;
      }
      auto mv = mavs.find(mid->second);
      if (mv == mavs.end()) {
        differ(DiffKind::objects,
               fmt::format("anon_vma {}: freed in the model, live on the kernel", name));
        return;
      }
      const AnonVmaView& m = mv->second;
      auto field = [&](const char* what, long long mval, long long kval) {
        if (mval == kval) return false;
        differ(DiffKind::objects, fmt::format("anon_vma {}: {} {} in the model, {} on the kernel",
                                              name, what, mval, kval));
        return true;
      };
      if (field("refcount", m.refcount, a.refcount) ||
          field("num_children", m.num_children, (long long)a.num_children) ||
          field("num_active_vmas", m.num_active_vmas, (long long)a.num_active_vmas))
        return;
      if (kernel_name(a.root) != model_name(m.root) ||
          kernel_name(a.parent) != model_name(m.parent)) {
        differ(DiffKind::objects,
               fmt::format("anon_vma {}: root {} parent {} in the model, root {} parent {} on "
                           "the kernel",
                           name, model_name(m.root), model_name(m.parent), kernel_name(a.root),
                           kernel_name(a.parent)));
        return;
      }
      std::string kt, mt;
      for (const kernel::TreeMember& t : a.tree) {
        auto s = mm_slot_.find(t.mm);
        kt += fmt::format("{}{}[{},{})", kt.empty() ? "" : " ",
                          slot_name(s == mm_slot_.end() ? -1 : s->second), page_of(t.vm_start),
                          page_of(t.vm_end));
      }
      for (const TreeMemberView& t : st.tree(m.id))
        mt += fmt::format("{}{}[{},{})", mt.empty() ? "" : " ", slot_name(t.slot), t.start, t.end);
      if (kt != mt) {
        differ(DiffKind::objects,
               fmt::format("anon_vma {}: tree {} in the model, {} on the kernel", name, mt, kt));
        return;
      }
    }

    // Each present page's folio.
    for (const kernel::KernelPage& p : d.pages) {
      auto s = pid_slot.find(p.pid);
      if (s == pid_slot.end() || p.compound) continue;
      const std::uint32_t page = page_of(p.address);
      const std::vector<PageView> mp = st.pages(s->second, page, page + 1);
      if (mp.empty() || mp[0].zero_page) continue;  // the page comparison reports it
      const PageView& m = mp[0];
      const std::string where = fmt::format("{} page {}", slot_name(s->second), page);
      const bool kernel_freed = p.anon_vma && !av_ptr_.count(p.anon_vma);
      const std::string ma = m.anon_vma_freed ? "a freed anon_vma" : model_name(m.anon_vma);
      const std::string ka = kernel_freed ? "a freed anon_vma" : kernel_name(p.anon_vma);
      if (!m.shmem && ma != ka) {
        differ(DiffKind::objects,
               fmt::format("{}: the folio's anon_vma is {} in the model, {} on the kernel", where,
                           ma, ka));
        return;
      }
      if (!m.shmem && m.index != p.index) {
        differ(DiffKind::objects,
               fmt::format("{}: the folio's index {:#x} in the model, {:#x} on the kernel", where,
                           m.index, p.index));
        return;
      }
      if (m.mapcount != std::uint32_t(p.mapcount)) {
        differ(DiffKind::objects,
               fmt::format("{}: the folio's mapcount {} in the model, {} on the kernel", where,
                           m.mapcount, p.mapcount));
        return;
      }
    }
  }

  std::unordered_map<std::uint64_t, std::uint32_t> av_ptr_;
  std::unordered_map<std::uint64_t, int> mm_slot_;

  const Script& script_;
  const bool keep_ops_;
  Comparison out_;
  OpComparison* current_ = nullptr;
  std::unordered_map<std::uint32_t, std::uint32_t> k2m_av_, m2k_av_, k2m_avc_, m2k_avc_;
};

RunComparer::RunComparer(const Script& script, bool keep_ops)
    : state_(std::make_unique<State>(script, keep_ops)) {}
RunComparer::~RunComparer() = default;
void RunComparer::op(const OpRecord& model, const kernel::OpResult& kernel,
                     const ::rmaplab::State* model_state) {
  state_->op(model, kernel, model_state);
}
void RunComparer::one_sided(int line, std::string op, std::string model_result,
                            std::string kernel_result, std::size_t model_ops,
                            std::size_t kernel_ops) {
  state_->one_sided(line, std::move(op), std::move(model_result), std::move(kernel_result),
                    model_ops, kernel_ops);
}
const Comparison& RunComparer::comparison() const { return state_->out_; }
Comparison RunComparer::take() { return std::move(state_->out_); }

Comparison compare_runs(const Script& script, const RunReport& model, const kernel::Run& kernel) {
  RunComparer c(script, true);
  const std::size_t n = std::min(model.ops.size(), kernel.ops.size());
  for (std::size_t i = 0; i < n; ++i) c.op(model.ops[i], kernel.ops[i]);
  if (model.ops.size() > n)
    c.one_sided(model.ops[n].line, model.ops[n].text, model.ops[n].result, "(none)",
                model.ops.size(), kernel.ops.size());
  else if (kernel.ops.size() > n)
    c.one_sided(kernel.ops[n].line,
                n < script.ops.size() ? format_op(script, script.ops[n]) : std::string("?"),
                "(none)", kernel.ops[n].result, model.ops.size(), kernel.ops.size());
  return c.take();
}

nlohmann::json to_json(const Comparison& c) {
  nlohmann::json j;
  j["agree"] = c.agree();
  j["depth"] = c.depth;
  j["root_locks_measured"] = c.root_locks_measured;
  j["root_locks_by_kind"] = c.root_locks_by_kind;
  j["operations_differing"] = c.differences;
  auto& first = j["first_difference"] = nlohmann::json::object();
  for (const Difference& d : c.first)
    first[std::string(to_string(d.kind))] = {
        {"line", d.line}, {"op", d.op}, {"message", d.message}};
  auto& ops = j["ops"] = nlohmann::json::array();
  for (const OpComparison& o : c.ops) {
    nlohmann::json jo = {{"line", o.line},
                         {"op", o.op},
                         {"model",
                          {{"result", o.model_result},
                           {"anon_vma_alloc", o.model.anon_vma_alloc},
                           {"anon_vma_free", o.model.anon_vma_free},
                           {"avc_alloc", o.model.avc_alloc},
                           {"avc_free", o.model.avc_free}}},
                         {"kernel",
                          {{"result", o.kernel_result},
                           {"anon_vma_alloc", o.kernel.anon_vma_alloc},
                           {"anon_vma_free", o.kernel.anon_vma_free},
                           {"avc_alloc", o.kernel.avc_alloc},
                           {"avc_free", o.kernel.avc_free}}}};
    auto& d = jo["differs"] = nlohmann::json::array();
    for (DiffKind k : o.differs) d.push_back(std::string(to_string(k)));
    ops.push_back(std::move(jo));
  }
  return j;
}

}  // namespace rmaplab
