// verify_scripts(): many scripts, several per kernel run (see verify.h).
//
// A joined run, for scripts A (processes P, C) and B (process P):
//
//   joined line  op              from
//   1            spawn s0_P      A line 3
//   2            s0_P fork s0_C  A line 4
//   3            s0_C exit       (added: A left C alive)
//   4            s0_P exit       (added: A left P alive)
//   5            spawn s1_P      B line 1
//   ...
//
// Slots are renamed by offset (A's slots 0-1, B's from 2), so a script's
// processes are a contiguous slot range of the joined script.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "rmaplab/verify.h"

namespace rmaplab {
namespace {

struct Member {
  std::size_t index = 0;  // in the caller's span
  const Script* script = nullptr;
  RunReport model;
  int slot_base = 0;         // its slot 0 in the joined script
  std::size_t op_begin = 0;  // its operations in the joined script
};

// The members' operations one after another, each member's surviving
// processes made to exit at its end.
Script join(std::vector<Member>& members) {
  Script joined;
  joined.file = fmt::format("<{} scripts joined>", members.size());
  int line = 0;
  for (std::size_t k = 0; k < members.size(); ++k) {
    Member& m = members[k];
    m.slot_base = static_cast<int>(joined.procs.size());
    m.op_begin = joined.ops.size();
    for (const std::string& name : m.script->procs)
      joined.procs.push_back(fmt::format("s{}_{}", k, name));
    std::vector<int> created;
    std::vector<bool> alive(m.script->procs.size(), false);
    for (const Op& op : m.script->ops) {
      Op j = op;
      j.proc += m.slot_base;
      if (j.child >= 0) j.child += m.slot_base;
      j.line = ++line;
      joined.ops.push_back(j);
      if (op.verb == Verb::spawn) created.push_back(op.proc), alive[std::size_t(op.proc)] = true;
      if (op.verb == Verb::fork) created.push_back(op.child), alive[std::size_t(op.child)] = true;
      if (op.verb == Verb::exit) alive[std::size_t(op.proc)] = false;
    }
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      if (!alive[std::size_t(*it)]) continue;
      Op exit;
      exit.verb = Verb::exit;
      exit.proc = *it + m.slot_base;
      exit.line = ++line;
      joined.ops.push_back(exit);
    }
  }
  return joined;
}

// The member's part of the joined kernel run, as a run of the member alone
// would have recorded it.
kernel::Run slice(const kernel::Run& all, const Member& m) {
  kernel::Run r;
  r.kernel_release = all.kernel_release;
  const Script& s = *m.script;
  const int nslots = static_cast<int>(s.procs.size());
  std::unordered_map<std::uint32_t, std::uint32_t> ids[2];
  std::uint32_t next[2] = {0, 0};
  long live[2] = {0, 0};
  for (std::size_t i = 0; i < s.ops.size(); ++i) {
    kernel::OpResult op = all.ops.at(m.op_begin + i);
    op.line = s.ops[i].line;
    for (kernel::Event& e : op.events) {
      const int k = e.kind == kernel::ObjectKind::anon_vma ? 0 : 1;
      auto it = ids[k].find(e.id);
      if (e.alloc || it == ids[k].end()) it = ids[k].insert_or_assign(e.id, ++next[k]).first;
      e.id = it->second;
      live[k] += e.alloc ? 1 : -1;
    }
    std::vector<kernel::ProcessState> mine;
    for (kernel::ProcessState& p : op.after) {
      if (p.slot < m.slot_base || p.slot >= m.slot_base + nslots) continue;
      p.slot -= m.slot_base;
      p.name = s.procs[std::size_t(p.slot)];
      mine.push_back(std::move(p));
    }
    op.after = std::move(mine);
    r.ops.push_back(std::move(op));
  }
  r.live_anon_vma = static_cast<std::size_t>(std::max(0L, live[0]));
  r.live_avc = static_cast<std::size_t>(std::max(0L, live[1]));
  return r;
}

class Batcher {
 public:
  Batcher(const VerifyOptions& options,
          const std::function<void(std::size_t, const Verification&)>& done,
          std::vector<Verification>& out)
      : options_(options), done_(done), out_(out) {}

  void add(std::size_t index, const Script& script) {
    Member m;
    m.index = index;
    m.script = &script;
    RunOptions model_options;
    const bool snapshots = !options_.kernel_only && options_.snapshots;
    model_options.layouts = snapshots ? Layouts::all : Layouts::none;
    model_options.pages = snapshots;
    model_options.profile = options_.profile;
    auto model = run_script(script, model_options);
    if (!model.ok()) {
      flush();  // keep the callbacks in order
      Verification v;
      v.outcome = Verification::Outcome::script_error;
      v.error = model.error().message;
      v.operations = script.ops.size();
      finish(index, std::move(v));
      return;
    }
    m.model = std::move(*model);
    if (processes_ + script.procs.size() > options_.batch_processes) flush();
    processes_ += script.procs.size();
    pending_.push_back(std::move(m));
  }

  void flush() {
    std::vector<Member> members = std::move(pending_);
    pending_.clear();
    processes_ = 0;
    if (members.empty()) return;
    if (members.size() == 1) {
      finish(members[0].index, verify_script(*members[0].script, options_));
      return;
    }
    const Script joined = join(members);
    kernel::Options kernel_options;
    kernel_options.snapshot = !options_.kernel_only && options_.snapshots;
    auto run = kernel::run(joined, kernel_options);
    for (const Member& m : members) {
      if (!run.ok()) {  // e.g. a descriptor limit: each alone says what it is
        finish(m.index, verify_script(*m.script, options_));
        continue;
      }
      Verification v;
      v.operations = m.script->ops.size();
      v.kernel = slice(*run, m);
      if (options_.kernel_only) {
        v.outcome = Verification::Outcome::ran;
        finish(m.index, std::move(v));
        continue;
      }
      v.comparison = compare_runs(*m.script, m.model, v.kernel);
      v.comparison.model = m.model.profile;
      if (v.comparison.agree()) {
        v.outcome = Verification::Outcome::agree;
        finish(m.index, std::move(v));
        continue;
      }
      v.outcome = Verification::Outcome::differ;
      Verification alone = verify_script(*m.script, options_);
      if (alone.outcome == Verification::Outcome::agree)
        v.note = "it differs in a run joined with other scripts but agrees when run alone";
      finish(m.index,
             alone.outcome == Verification::Outcome::agree ? std::move(v) : std::move(alone));
    }
  }

 private:
  void finish(std::size_t index, Verification v) {
    out_[index] = std::move(v);
    if (done_) done_(index, out_[index]);
  }

  const VerifyOptions& options_;
  const std::function<void(std::size_t, const Verification&)>& done_;
  std::vector<Verification>& out_;
  std::vector<Member> pending_;
  std::size_t processes_ = 0;
};

}  // namespace

std::vector<Verification> verify_scripts(
    std::span<const Script> scripts, const VerifyOptions& options,
    const std::function<void(std::size_t, const Verification&)>& done) {
  std::vector<Verification> out(scripts.size());
  Batcher batcher(options, done, out);
  for (std::size_t i = 0; i < scripts.size(); ++i) batcher.add(i, scripts[i]);
  batcher.flush();
  return out;
}

}  // namespace rmaplab
