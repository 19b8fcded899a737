// The rmap walk of one folio: which VMAs the kernel would visit to find
// every mapping of it (rmap_walk_anon over folio->mapping's interval tree),
// and which of them really map it.
#include <algorithm>

#include <fmt/format.h>

#include "rmaplab/report.h"
#include "rmaplab/state.h"

namespace rmaplab::report {
namespace {

std::string names(const Script& script) {
  std::string out;
  for (const std::string& n : script.procs) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The index of the operation that creates process `slot`, or ops.size().
std::size_t creation(const Script& script, int slot) {
  for (std::size_t i = 0; i < script.ops.size(); ++i) {
    const Op& op = script.ops[i];
    if ((op.verb == Verb::spawn && op.proc == slot) || (op.verb == Verb::fork && op.child == slot))
      return i;
  }
  return script.ops.size();
}

}  // namespace

Result<Walk> walk_page(const State& state, std::string_view process, std::uint32_t page) {
  const Script& script = state.script();
  Walk w;
  w.file = script.file;
  w.line = state.line();
  w.process = process;
  w.page = page;
  const std::string when =
      w.line ? fmt::format("after line {}", w.line) : std::string("before the first operation");

  auto it = std::find(script.procs.begin(), script.procs.end(), process);
  if (it == script.procs.end())
    return Error{fmt::format("{} has no process named '{}' (its processes: {})", script.file,
                             process, names(script))};
  const int slot = static_cast<int>(it - script.procs.begin());
  if (!state.alive(slot)) {
    const std::size_t made = creation(script, slot);
    const bool made_already = made < script.ops.size() && w.line && script.ops[made].line <= w.line;
    if (made_already) return Error{fmt::format("{} has exited {}: it maps nothing", process, when)};
    return Error{fmt::format("{} does not exist yet {} (line {} creates it)", process, when,
                             script.ops[made].line)};
  }
  if (page >= kArenaPages)
    return Error{
        fmt::format("page {} is outside the arena (pages 0 to {})", page, kArenaPages - 1)};

  const std::vector<PageView> at = state.pages(slot, page, page + 1);
  if (at.empty()) {
    const auto vma = state.vma_at(slot, page);
    if (!vma)
      return Error{
          fmt::format("{} maps nothing at page {} {}: no VMA covers it", process, page, when)};
    return Error{fmt::format(
        "{} maps nothing at page {} {}: its VMA [{},{}) has never faulted that page in, so "
        "there is no folio to walk",
        process, page, when, vma->start, vma->end)};
  }
  const PageView& f = at.front();
  if (f.zero_page)
    return Error{fmt::format(
        "{} maps the shared zero page at page {} {} (the page was read, never written): it is "
        "not an anonymous folio and has no anon_vma to walk",
        process, page, when)};
  if (f.shmem) {
    const auto vma = state.vma_at(slot, page);
    return Error{fmt::format(
        "{} maps a shared memory page at page {} {} (shmem object #{}, offset {}): the kernel "
        "finds its mappings through the file's i_mmap tree, not through an anon_vma",
        process, page, when, vma ? vma->shmem : 0, f.index)};
  }
  const bool lazy = !f.anon_vma && !f.cow_context && !f.anon_vma_freed &&
                    state.profile() == model::anon_vma_lazy().name;
  if (!f.anon_vma && !f.cow_context && !lazy)
    return Error{fmt::format("folio #{} at page {} of {} has no anon_vma", f.folio, page, process)};
  if (f.anon_vma_freed)
    return Error{fmt::format(
        "folio #{} at page {} of {} {} names anon_vma #{}, which has been freed: the kernel's "
        "rmap walk would lock and read freed memory (a use-after-free)",
        f.folio, page, process, when, f.anon_vma)};

  w.folio = f.folio;
  w.index = f.index;
  w.anon_vma = f.anon_vma;
  w.cow_context = f.cow_context;
  w.lazy = lazy;
  w.mapcount = f.mapcount;
  w.exclusive = f.exclusive;
  const auto walk = state.rmap_walk(slot, page);
  for (const RmapCandidate& hit : walk ? *walk : std::vector<RmapCandidate>{}) {
    WalkCandidate c;
    c.process = script.procs[hit.slot];
    c.vma_start = hit.vma_start;
    c.vma_end = hit.vma_end;
    c.page = hit.page;
    if (hit.maps) {
      c.mapping = WalkCandidate::Mapping::maps;
    } else if (hit.there && hit.there->zero_page) {
      c.mapping = WalkCandidate::Mapping::zero_page;
    } else if (hit.there) {
      c.mapping = WalkCandidate::Mapping::other_folio;
      c.other_folio = hit.there->folio;
    } else {
      c.mapping = WalkCandidate::Mapping::nothing;
    }
    if (hit.page_table) ++w.pte_locks;
    w.candidates.push_back(std::move(c));
  }
  w.model = state.profile();
  return w;
}

namespace {

std::string mapping_text(const WalkCandidate& c) {
  switch (c.mapping) {
    case WalkCandidate::Mapping::maps:
      return "maps";
    case WalkCandidate::Mapping::other_folio:
      return fmt::format("does not map: folio #{} is mapped there instead", c.other_folio);
    case WalkCandidate::Mapping::zero_page:
      return "does not map: the zero page there";
    case WalkCandidate::Mapping::nothing:
      return "does not map: nothing mapped there";
  }
  return "?";
}

std::string_view mapping_name(WalkCandidate::Mapping m) {
  switch (m) {
    case WalkCandidate::Mapping::maps:
      return "maps";
    case WalkCandidate::Mapping::other_folio:
      return "other_folio";
    case WalkCandidate::Mapping::zero_page:
      return "zero_page";
    case WalkCandidate::Mapping::nothing:
      return "nothing";
  }
  return "?";
}

std::string range(const WalkCandidate& c) { return fmt::format("[{},{})", c.vma_start, c.vma_end); }

}  // namespace

std::string walk_text(const Walk& w) {
  std::string out =
      fmt::format("{} {}: {} maps folio #{} at page {}\n", w.file,
                  w.line ? fmt::format("after line {}", w.line) : std::string("at the start"),
                  w.process, w.folio, w.page);
  const std::string owner = w.cow_context ? fmt::format("cow_context #{}", w.cow_context)
                            : w.lazy      ? std::string("its VMA (lazy)")
                                          : fmt::format("anon_vma #{}", w.anon_vma);
  out += fmt::format("folio #{}: index {:#x}, {}, mapcount {}, {}\n", w.folio, w.index, owner,
                     w.mapcount, w.exclusive ? "exclusive" : "not exclusive");
  const std::string how =
      w.cow_context ? fmt::format("cow_context #{} and its descendants", w.cow_context)
      : w.lazy      ? std::string("the lazy root VMA's mm")
                    : fmt::format("anon_vma #{}'s interval tree", w.anon_vma);
  out += fmt::format("rmap walk of {} at index {:#x}: {} candidate{}\n", how, w.index,
                     w.candidates.size(), w.candidates.size() == 1 ? "" : "s");
  std::size_t pw = 7, rw = 3, gw = 4;  // "process", "VMA", "page"
  for (const WalkCandidate& c : w.candidates) {
    pw = std::max(pw, c.process.size());
    rw = std::max(rw, range(c).size());
    gw = std::max(gw, std::to_string(c.page).size());
  }
  out += fmt::format("  {:<{}}  {:<{}}  {:>{}}  {}\n", "process", pw, "VMA", rw, "page", gw,
                     "mapping");
  for (const WalkCandidate& c : w.candidates)
    out += fmt::format("  {:<{}}  {:<{}}  {:>{}}  {}\n", c.process, pw, range(c), rw, c.page, gw,
                       mapping_text(c));
  out += fmt::format("locks: {}, {} PTE lock{}\n",
                     w.anon_vma ? "anon_vma root rwsem for read once" : "no anon_vma lock",
                     w.pte_locks, w.pte_locks == 1 ? "" : "s");
  return out;
}

nlohmann::json walk_json(const Walk& w) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const WalkCandidate& c : w.candidates) {
    nlohmann::json j = {{"process", c.process},
                        {"start", c.vma_start},
                        {"end", c.vma_end},
                        {"page", c.page},
                        {"mapping", mapping_name(c.mapping)}};
    if (c.mapping == WalkCandidate::Mapping::other_folio) j["other_folio"] = c.other_folio;
    candidates.push_back(std::move(j));
  }
  return {{"line", w.line},
          {"process", w.process},
          {"page", w.page},
          {"folio",
           {{"id", w.folio},
            {"index", w.index},
            {"anon_vma", w.anon_vma},
            {"cow_context", w.cow_context},
            {"lazy", w.lazy},
            {"mapcount", w.mapcount},
            {"exclusive", w.exclusive}}},
          {"candidates", std::move(candidates)},
          {"locks", {{"anon_vma_root_read", w.anon_vma ? 1 : 0}, {"pte_lock", w.pte_locks}}},
          {"model", w.model}};
}

}  // namespace rmaplab::report
