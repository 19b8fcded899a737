// The shrinker: delta debugging (Zeller's ddmin) over a script's operation
// lines, interleaved with removing whole processes, with turning forks
// whose child needs nothing inherited into spawns, and with folding a fork's
// child into its parent where the failure needs no second process.
//
// A candidate is a subset of the current operations, in order. It is written
// out and parsed again, so a candidate that names a process its spawn or
// fork line no longer creates (or one that has exited) is rejected before it
// is run. Removing a process removes its creating line, every line it acts
// in, and its descendants the same way: a fork line is the child's creation.
#include <algorithm>
#include <set>

#include "fuzz/fail_alloc.h"
#include "rmaplab/fuzz.h"

namespace rmaplab {
namespace {

class Shrinker {
 public:
  Shrinker(const Script& script, const std::function<bool(const Script&)>& still_fails,
           ShrinkStats* stats)
      : original_(script),
        still_fails_(still_fails),
        stats_(stats),
        current_(script.ops),
        best_(script) {}

  Script run() {
    for (bool changed = true; changed;) {
      const std::size_t before = current_.size();
      remove_processes();
      detach_forks();
      fold_forks();
      ddmin();
      changed = current_.size() < before;
    }
    return best_;
  }

 private:
  // Keeps `ops` if it parses and still fails.
  bool attempt(const std::vector<Op>& ops) {
    Script s;
    s.file = original_.file;
    s.procs = original_.procs;
    s.ops = ops;
    auto parsed = parse_script(script_text(s), original_.file);
    if (!parsed) return false;
    if (stats_) ++stats_->candidates;
    if (!still_fails_(*parsed)) return false;
    if (stats_) ++stats_->accepted;
    current_ = ops;
    best_ = std::move(parsed.value());
    return true;
  }

  // Each process, youngest first, with everything that hangs off it.
  void remove_processes() {
    for (bool removed = true; removed;) {
      removed = false;
      std::vector<int> created;
      for (const Op& op : current_) {
        if (op.verb == Verb::spawn) created.push_back(op.proc);
        if (op.verb == Verb::fork) created.push_back(op.child);
      }
      for (auto it = created.rbegin(); it != created.rend() && !removed; ++it) {
        std::set<int> gone = {*it};
        for (const Op& op : current_)
          if (op.verb == Verb::fork && gone.count(op.proc)) gone.insert(op.child);
        std::vector<Op> rest;
        for (const Op& op : current_) {
          const bool creates_gone = op.verb == Verb::fork && gone.count(op.child);
          if (!gone.count(op.proc) && !creates_gone) rest.push_back(op);
        }
        if (rest.size() < current_.size()) removed = attempt(rest);
      }
    }
  }

  // Turns "P fork C" into "spawn C" where the failure does not need what C
  // inherits: P (and its ancestors) may then go too.
  void detach_forks() {
    for (std::size_t i = 0; i < current_.size(); ++i) {
      if (current_[i].verb != Verb::fork) continue;
      std::vector<Op> ops = current_;
      Op& op = ops[i];
      op.verb = Verb::spawn;
      op.proc = op.child;
      op.child = -1;
      if (attempt(ops)) remove_processes();
    }
  }

  // Drops "P fork C" and lets P do what C did, where the failure needs only
  // what C would have inherited, not a second process: C's lines become P's.
  void fold_forks() {
    for (std::size_t i = 0; i < current_.size(); ++i) {
      if (current_[i].verb != Verb::fork) continue;
      const int parent = current_[i].proc, child = current_[i].child;
      std::vector<Op> ops;
      for (std::size_t j = 0; j < current_.size(); ++j) {
        if (j == i) continue;
        Op op = current_[j];
        if (op.proc == child) op.proc = parent;
        ops.push_back(op);
      }
      if (attempt(ops)) --i;  // the line at i is the next one now
    }
  }

  // Removes chunks of lines: halves, then quarters, ..., then single lines.
  void ddmin() {
    std::size_t n = 2;
    while (current_.size() >= 2) {
      const std::size_t size = current_.size();
      const std::size_t chunk = (size + n - 1) / n;
      bool reduced = false;
      for (std::size_t start = 0; start < size; start += chunk) {
        std::vector<Op> rest(current_.begin(),
                             current_.begin() + static_cast<std::ptrdiff_t>(start));
        rest.insert(rest.end(),
                    current_.begin() + static_cast<std::ptrdiff_t>(std::min(size, start + chunk)),
                    current_.end());
        if (attempt(rest)) {
          reduced = true;
          break;
        }
      }
      if (reduced) {
        n = std::max<std::size_t>(n - 1, 2);
      } else {
        if (n >= size) break;
        n = std::min(n * 2, size);
      }
    }
    if (current_.size() == 1) attempt({});
  }

  const Script& original_;
  const std::function<bool(const Script&)>& still_fails_;
  ShrinkStats* stats_;
  std::vector<Op> current_;  // ops of original_ (its slots)
  Script best_;              // current_, parsed
};

}  // namespace

Script shrink(const Script& script, const std::function<bool(const Script&)>& still_fails,
              ShrinkStats* stats) {
  return Shrinker(script, still_fails, stats).run();
}

Script shrink_failure(const Script& script, const Failure& failure, const TestOptions& options,
                      ShrinkStats* stats) {
  if (failure.kind == Failure::Kind::alloc_failure) {
    TestOptions model_only = options;
    model_only.kernel = false;
    return shrink(
        script,
        [&](const Script& s) {
          // It must run cleanly without a failure, and fail with one.
          auto r = test_script(s, model_only);
          return r.ok() && !r->has_value() &&
                 fuzz_internal::first_fail_point(s, options.profile, failure.what).has_value();
        },
        stats);
  }
  return shrink(
      script,
      [&](const Script& s) {
        auto r = test_script(s, options);
        return r.ok() && r->has_value() && (*r)->same_as(failure);
      },
      stats);
}

}  // namespace rmaplab
