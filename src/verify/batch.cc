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
#include <memory>
#include <unordered_map>

#include <fmt/format.h>

#include "rmaplab/profile.h"
#include "rmaplab/verify.h"
#include "verify/verify_internal.h"

namespace rmaplab {
namespace {

struct Member {
  std::size_t index = 0;  // in the caller's span
  const Script* script = nullptr;
  int slot_base = 0;         // its slot 0 in the joined script
  std::size_t op_begin = 0;  // its operations in the joined script
  // While the joined run streams past its operations:
  std::unique_ptr<Simulation> model;
  std::unique_ptr<RunComparer> comparer;
  std::unordered_map<std::uint32_t, std::uint32_t> ids[2];  // joined id -> own id, live
  std::uint32_t next_id[2] = {0, 0};
  long live[2] = {0, 0};
  Counts counts;
  std::vector<kernel::OpResult> kept;  // kernel_only with keep_ops, or keep_kernel_ops
  std::string model_error;             // a model step failed (a model bug)
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

// Turns operation `i` of the member, as the joined run recorded it, into what
// a run of the member alone would have recorded.
void slice(kernel::OpResult& op, Member& m, std::size_t i) {
  const Script& s = *m.script;
  const int nslots = static_cast<int>(s.procs.size());
  op.line = s.ops[i].line;
  for (kernel::Event& e : op.events) {
    const int k = e.kind == ObjectKind::anon_vma ? 0 : 1;
    const bool alloc = e.type == EventType::alloc;
    auto it = m.ids[k].find(e.id);
    if (alloc || it == m.ids[k].end()) it = m.ids[k].insert_or_assign(e.id, ++m.next_id[k]).first;
    e.id = it->second;
    if (!alloc) m.ids[k].erase(it);
    m.live[k] += alloc ? 1 : -1;
  }
  std::erase_if(op.after, [&](const kernel::ProcessState& p) {
    return p.slot < m.slot_base || p.slot >= m.slot_base + nslots;
  });
  for (kernel::ProcessState& p : op.after) {
    p.slot -= m.slot_base;
    p.name = s.procs[std::size_t(p.slot)];
  }
}

class Batcher {
 public:
  Batcher(const VerifyOptions& options,
          const std::function<void(std::size_t, const Verification&)>& done,
          std::vector<Verification>& out)
      : options_(options), done_(done), out_(out) {}

  void add(std::size_t index, const Script& script) {
    if (Status s = validate_in_model(script, options_.profile); !s.ok()) {
      flush();  // keep the callbacks in order
      Verification v;
      v.outcome = Verification::Outcome::script_error;
      v.error = s.error().message;
      v.operations = script.ops.size();
      finish(index, std::move(v));
      return;
    }
    Member m;
    m.index = index;
    m.script = &script;
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
      finish(members[0].index, alone(*members[0].script));
      return;
    }
    const Script joined = join(members);
    const bool compare = !options_.kernel_only;
    kernel::Options kernel_options;
    kernel_options.snapshot = compare && options_.snapshots;
    kernel_options.snapshot_touched = true;
    for (const Member& m : members)
      kernel_options.full_snapshots.push_back(m.op_begin + m.script->ops.size() - 1);
    // Object depth: the dump of an operation lists the processes its
    // snapshot lists; slice() keeps the member's, and the comparer reads
    // only those (scripts share no anon_vma, so no tree crosses members).
    kernel_options.objects = kernel_options.snapshot && options_.objects;
    RunOptions model_options;
    model_options.layouts = compare && options_.snapshots ? Layouts::all : Layouts::none;
    model_options.profile = options_.profile;

    std::size_t j = 0, at = 0;  // the joined operation, the member it may belong to
    auto run = kernel::run(joined, kernel_options, [&](kernel::OpResult&& k) -> Status {
      const std::size_t index = j++;
      while (at < members.size() && index >= members[at].op_begin + members[at].script->ops.size())
        members[at++].model.reset();  // past its operations: free its machine
      if (at == members.size() || index < members[at].op_begin)
        return ok_status();  // an exit added by join(): not compared
      Member& m = members[at];
      const std::size_t i = index - m.op_begin;
      slice(k, m, i);
      m.counts += k.counts();
      if (compare) {
        if (!m.model) {
          m.model = std::make_unique<Simulation>(*m.script, model_options);
          m.comparer = std::make_unique<RunComparer>(*m.script, options_.keep_ops);
        }
        auto r = m.model->step();
        if (!r.ok()) return r.error();  // validated: a model bug
        const State state(*m.model);
        m.comparer->op(*r, k, kernel_options.objects ? &state : nullptr);
      }
      if (options_.keep_kernel_ops || (options_.kernel_only && options_.keep_ops))
        m.kept.push_back(std::move(k));
      progress();
      return ok_status();
    });
    for (Member& m : members) {
      if (!run.ok()) {  // e.g. a descriptor limit: each alone says what it is
        finish(m.index, alone(*m.script));
        continue;
      }
      Verification v;
      v.operations = m.script->ops.size();
      v.kernel_counts = m.counts;
      v.kernel.kernel_release = run->kernel_release;
      v.kernel.objects_unavailable = run->objects_unavailable;
      v.kernel.root_locks_unavailable = run->root_locks_unavailable;
      v.note_depth();
      v.kernel.ops = std::move(m.kept);
      v.kernel.live_anon_vma = static_cast<std::size_t>(std::max(0L, m.live[0]));
      v.kernel.live_avc = static_cast<std::size_t>(std::max(0L, m.live[1]));
      if (options_.kernel_only) {
        v.outcome = Verification::Outcome::ran;
        finish(m.index, std::move(v));
        continue;
      }
      v.comparison = m.comparer->take();
      m.comparer.reset();
      v.comparison.model = options_.profile ? std::string(options_.profile->name)
                                            : std::string(model::kDefaultProfile);
      if (v.comparison.agree()) {
        v.outcome = Verification::Outcome::agree;
        finish(m.index, std::move(v));
        continue;
      }
      v.outcome = Verification::Outcome::differ;
      Verification lone = alone(*m.script, /*count=*/false);
      if (lone.outcome == Verification::Outcome::agree)
        v.note = "it differs in a run joined with other scripts but agrees when run alone";
      finish(m.index,
             lone.outcome == Verification::Outcome::agree ? std::move(v) : std::move(lone));
    }
  }

 private:
  // verify_script(), its operations counted in this call's progress (a
  // re-run of a script already counted is not).
  Verification alone(const Script& script, bool count = true) {
    VerifyOptions o = options_;
    o.progress = nullptr;
    if (count && options_.progress) {
      const std::size_t base = done_ops_;
      o.progress = [this, base](std::size_t n) {
        done_ops_ = base + n;
        options_.progress(done_ops_);
      };
    }
    return verify_script(script, o);
  }

  void progress() {
    ++done_ops_;
    if (options_.progress) options_.progress(done_ops_);
  }

  void finish(std::size_t index, Verification v) {
    out_[index] = std::move(v);
    if (done_) done_(index, out_[index]);
  }

  const VerifyOptions& options_;
  const std::function<void(std::size_t, const Verification&)>& done_;
  std::vector<Verification>& out_;
  std::vector<Member> pending_;
  std::size_t processes_ = 0;
  std::size_t done_ops_ = 0;
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
