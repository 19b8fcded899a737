// The cow-context design's own rules (check.h, C1-C2), recounted from the
// mms, the folios and the context tree.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "check/check_design.h"
#include "model/design/cow_context.h"
#include "model/machine.h"

namespace rmaplab {

using model::cow_context;

std::optional<Finding> check_cow_context(const model::Machine& m,
                                         const std::vector<std::string>&) {
  // Every reachable context: each live mm's, each mapped folio's, and their ancestors.
  std::unordered_map<const cow_context*, int> refs;  // recounted references
  std::vector<const cow_context*> todo;
  auto reach = [&](const cow_context* c) {
    if (c && refs.try_emplace(c, 0).second) todo.push_back(c);
  };
  std::unordered_set<const model::folio*> folios;
  for (const auto& mm : m.processes()) {
    if (!mm) continue;
    if (!mm->cow_context || mm->cow_context->mm != mm.get())
      return Finding{"C2 context_tree",
                     fmt::format("process slot {} has no context of its own", mm->slot)};
    reach(mm->cow_context);
    for (const auto& [start, v] : mm->vmas)
      mm->ptes.for_each_present(v->vm_start, v->vm_end, [&](std::uint32_t, const model::folio* f) {
        if (!model::is_zero_page(f) && f->is_anon() && folios.insert(f).second) {
          reach(f->cow_context);
          if (f->cow_context) ++refs[f->cow_context];
        }
      });
  }
  while (!todo.empty()) {
    const cow_context* c = todo.back();
    todo.pop_back();
    if (c->mm) ++refs[c];
    if (c->parent) {
      reach(c->parent);
      ++refs[c->parent];
      const auto& sib = c->parent->children;
      if (std::find(sib.begin(), sib.end(), c) == sib.end())
        return Finding{"C2 context_tree",
                       fmt::format("cow_context #{} is not on its parent #{}'s list of children",
                                   c->id, c->parent->id)};
    }
    for (const cow_context* child : c->children) {
      if (child->parent != c)
        return Finding{"C2 context_tree",
                       fmt::format("cow_context #{} lists #{} as a child, whose parent is not it",
                                   c->id, child->id)};
      reach(child);
    }
  }
  for (const auto& [c, n] : refs)
    if (c->refcnt != n)
      return Finding{"C1 refcnt",
                     fmt::format("cow_context #{} has refcnt {}, but {} reference(s) hold it "
                                 "(its mm, children, folios)",
                                 c->id, c->refcnt, n)};
  // A context nothing reaches would never be freed.
  for (const model::DesignObjects& o : m.rmap().objects())
    if (o.kind == "cow_context" && o.live() != refs.size())
      return Finding{"C1 refcnt", fmt::format("{} contexts are allocated but {} are reachable",
                                              o.live(), refs.size())};
  return std::nullopt;
}

}  // namespace rmaplab
