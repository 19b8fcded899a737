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

  void op(const OpRecord& m, const kernel::OpResult& k) {
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
    if (!k.after.empty()) snapshots(m, k);
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

  const Script& script_;
  const bool keep_ops_;
  Comparison out_;
  OpComparison* current_ = nullptr;
  std::unordered_map<std::uint32_t, std::uint32_t> k2m_av_, m2k_av_, k2m_avc_, m2k_avc_;
};

RunComparer::RunComparer(const Script& script, bool keep_ops)
    : state_(std::make_unique<State>(script, keep_ops)) {}
RunComparer::~RunComparer() = default;
void RunComparer::op(const OpRecord& model, const kernel::OpResult& kernel) {
  state_->op(model, kernel);
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
