// Rule sets side by side (rmaplab/diff.h): two Simulations in lockstep.
#include "rmaplab/diff.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "rmaplab/profile.h"
#include "rmaplab/run.h"
#include "rmaplab/state.h"

namespace rmaplab {

std::string_view to_string(ProfileDiffKind kind) {
  switch (kind) {
    case ProfileDiffKind::result:
      return "result";
    case ProfileDiffKind::event_counts:
      return "event counts";
    case ProfileDiffKind::event_order:
      return "event order";
    case ProfileDiffKind::locks:
      return "locks";
    case ProfileDiffKind::objects:
      return "objects";
  }
  return "?";
}

bool is_semantic(ProfileDiffKind kind) {
  return kind != ProfileDiffKind::event_order && kind != ProfileDiffKind::locks;
}

bool ProfileComparison::differs_in(ProfileDiffKind kind) const {
  return std::any_of(first.begin(), first.end(),
                     [&](const ProfileDifference& d) { return d.kind == kind; });
}

bool ProfileComparison::semantic() const {
  return std::any_of(first.begin(), first.end(),
                     [](const ProfileDifference& d) { return is_semantic(d.kind); });
}

namespace {

// "+avc anon_vma_clone x3, +anon_vma anon_vma_fork" (or "none").
std::string compact(const std::vector<Event>& events) {
  if (events.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < events.size();) {
    std::size_t j = i;
    while (j < events.size() && events[j] == events[i]) ++j;
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", profile_diff_event(events[i]),
                       j - i > 1 ? fmt::format(" x{}", j - i) : "");
    i = j;
  }
  return out;
}

// The state after an operation, one line per object, objects named by
// first appearance (diff.h).
std::vector<std::string> objects_of(const State& state) {
  const Script& script = state.script();
  std::unordered_map<std::uint32_t, std::size_t> av_names;  // anon_vma id -> name
  std::vector<std::uint32_t> avs;
  auto av_name = [&](std::uint32_t av) {
    auto [it, fresh] = av_names.emplace(av, av_names.size() + 1);
    if (fresh) avs.push_back(av);
    return fmt::format("a{}", it->second);
  };
  std::unordered_map<std::uint32_t, std::size_t> ctx_names;  // cow_context id -> name
  auto ctx_name = [&](std::uint32_t ctx) {
    return fmt::format("c{}", ctx_names.emplace(ctx, ctx_names.size() + 1).first->second);
  };
  std::unordered_map<std::uint32_t, std::size_t> folio_names;  // folio id -> name
  std::vector<std::string> out;
  for (int slot : state.processes()) {
    const std::string& proc = script.procs[slot];
    for (const VmaView& v : state.vmas(slot)) {
      std::string chain;
      for (std::uint32_t av : v.chain) chain += (chain.empty() ? "" : ",") + av_name(av);
      out.push_back(fmt::format("{} [{}-{}) {} pgoff={} anon_vma={} chain=[{}]", proc, v.start,
                                v.end, v.prot, v.pgoff,
                                v.anon_vma  ? av_name(v.anon_vma)
                                : v.faulted ? "dummy"  // cow-context's sentinel
                                            : "-",
                                chain));
      for (const PageView& p : state.pages(slot, v.start, v.end)) {
        if (p.zero_page) {
          out.push_back(fmt::format("{} page {}: zero page", proc, p.page));
          continue;
        }
        auto [it, fresh] = folio_names.emplace(p.folio, folio_names.size() + 1);
        std::string mapping = "shmem";
        if (p.shmem)
          mapping = "shmem";
        else if (p.anon_vma_freed)
          mapping = "a freed anon_vma";
        else if (p.anon_vma)
          mapping = av_name(p.anon_vma);
        else if (p.cow_context)
          mapping = ctx_name(p.cow_context);
        else
          mapping = "its VMA (lazy)";  // anon-vma-lazy's folio before an anon_vma
        out.push_back(fmt::format("{} page {}: f{} anon_vma={} index={} mapcount={}{}", proc,
                                  p.page, it->second, mapping, p.index, p.mapcount,
                                  p.exclusive ? " exclusive" : ""));
      }
    }
  }
  std::unordered_map<std::uint32_t, AnonVmaView> by_id;
  for (const AnonVmaView& av : state.anon_vmas()) by_id[av.id] = av;
  for (std::size_t i = 0; i < avs.size(); ++i) {  // parents and roots may add names
    const AnonVmaView& av = by_id.at(avs[i]);
    const std::string name = av_name(av.id);
    out.push_back(
        fmt::format("{} parent={} root={} refcount={} num_children={} "
                    "num_active_vmas={}",
                    name, av_name(av.parent), av_name(av.root), av.refcount, av.num_children,
                    av.num_active_vmas));
  }
  const LiveCounts live = state.live();
  out.push_back(fmt::format("live: {} anon_vma, {} avc, {} vma, {} folio", live.anon_vmas,
                            live.avcs, live.vmas, live.folios));
  return out;
}

std::string locks_change(const LockCounts& a, const LockCounts& b) {
  std::string out;
  for (Lock lock : kAllLocks)
    if (a[lock] != b[lock])
      out +=
          fmt::format("{}{} {} -> {}", out.empty() ? "" : ", ", to_string(lock), a[lock], b[lock]);
  return out;
}

// The same events, whatever their order.
bool same_events(std::vector<Event> a, std::vector<Event> b) {
  auto key = [](const Event& e) { return std::tuple(e.type, e.kind, e.site); };
  auto less = [&](const Event& x, const Event& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

std::vector<Event> without_ids(std::vector<Event> events) {
  for (Event& e : events) e.id = 0;
  return events;
}

struct Side {
  Side(const Script& script, const model::Profile& p) : sim(script, options(p)) {}
  static RunOptions options(const model::Profile& p) {
    RunOptions o;
    o.layouts = Layouts::none;
    o.profile = &p;
    return o;
  }
  Simulation sim;
};

}  // namespace

Result<ProfileComparison> compare_profiles(const Script& script, const model::Profile& a,
                                           const model::Profile& b) {
  ProfileComparison c;
  c.file = script.file;
  c.a = a.name;
  c.b = b.name;
  Side sa(script, a), sb(script, b);
  auto note = [&](ProfileOpDiff& o, ProfileDiffKind kind, std::string message) {
    o.differs.push_back(kind);
    const bool seen = std::any_of(c.first.begin(), c.first.end(),
                                  [&](const ProfileDifference& d) { return d.kind == kind; });
    if (!seen) c.first.push_back({kind, o.line, o.op, message});
    if (c.differences == 0 && o.differs.size() == 1) c.divergence = {kind, o.line, o.op, message};
  };
  while (!sa.sim.done()) {
    const Op& op = script.ops[sa.sim.next_op()];
    ProfileOpDiff o;
    o.line = op.line;
    o.op = format_op(script, op);
    o.verb = op.verb;
    auto ra = sa.sim.step();
    auto rb = sb.sim.step();
    if (!ra && !rb && ra.error().message == rb.error().message) return ra.error();
    o.result_a = ra ? ra->result : "script error: " + ra.error().message;
    o.result_b = rb ? rb->result : "script error: " + rb.error().message;
    if (ra && rb) {
      o.events_a = without_ids(ra->events);
      o.events_b = without_ids(rb->events);
      o.locks_a = ra->locks;
      o.locks_b = rb->locks;
    }
    if (o.result_a != o.result_b)
      note(o, ProfileDiffKind::result,
           fmt::format("result: {} under {}, {} under {}", o.result_a, c.a, o.result_b, c.b));
    if (ra && rb) {
      if (!same_events(o.events_a, o.events_b))
        note(o, ProfileDiffKind::event_counts,
             fmt::format("events: {} under {}; {} under {}", compact(o.events_a), c.a,
                         compact(o.events_b), c.b));
      else if (o.events_a != o.events_b)
        note(o, ProfileDiffKind::event_order,
             fmt::format("event order: {} under {}; {} under {}", compact(o.events_a), c.a,
                         compact(o.events_b), c.b));
      if (o.locks_a != o.locks_b)
        note(o, ProfileDiffKind::locks,
             fmt::format("locks ({} -> {}): {}", c.a, c.b, locks_change(o.locks_a, o.locks_b)));
      const auto objects_a = objects_of(State(sa.sim));
      const auto objects_b = objects_of(State(sb.sim));
      if (objects_a != objects_b) {
        std::size_t i = 0;
        while (i < objects_a.size() && i < objects_b.size() && objects_a[i] == objects_b[i]) ++i;
        o.objects_a = i < objects_a.size() ? objects_a[i] : "(nothing more)";
        o.objects_b = i < objects_b.size() ? objects_b[i] : "(nothing more)";
        note(o, ProfileDiffKind::objects,
             fmt::format("objects after it: '{}' under {}, '{}' under {}", o.objects_a, c.a,
                         o.objects_b, c.b));
      }
    }
    if (!o.differs.empty()) ++c.differences;
    const bool stop = !ra || !rb;
    c.ops.push_back(std::move(o));
    if (stop) break;
  }
  std::stable_sort(c.first.begin(), c.first.end(), [](const auto& x, const auto& y) {
    return static_cast<int>(x.kind) < static_cast<int>(y.kind);
  });
  return c;
}

void ProfileDiffTotals::add(const ProfileComparison& c) {
  if (a.empty()) {
    a = c.a;
    b = c.b;
  }
  ++scripts;
  for (std::size_t k = 0; k < kProfileDiffKinds.size(); ++k)
    if (c.differs_in(kProfileDiffKinds[k])) ++scripts_differing[k];
  if (c.semantic()) semantic_scripts.push_back(c.file);
  for (const ProfileOpDiff& o : c.ops) {
    ++operations;
    PerVerb& v = per_verb[std::string(to_string(o.verb))];
    ++v.ops;
    for (ProfileDiffKind kind : o.differs) {
      ++ops_differing[static_cast<std::size_t>(kind)];
      ++v.differing[static_cast<std::size_t>(kind)];
    }
    v.locks_a += o.locks_a;
    v.locks_b += o.locks_b;
    for (const Event& e : o.events_a)
      (e.kind == ObjectKind::anon_vma ? v.anon_vma_events_a : v.avc_events_a)++;
    for (const Event& e : o.events_b)
      (e.kind == ObjectKind::anon_vma ? v.anon_vma_events_b : v.avc_events_b)++;
  }
}

}  // namespace rmaplab
