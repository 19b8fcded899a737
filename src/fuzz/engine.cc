// The engine fuzzer's byte decoding (layout in engine.h).
#include "fuzz/engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "fuzz/fail_alloc.h"
#include "model/machine.h"
#include "run/model_of.h"

namespace rmaplab {
namespace {

constexpr int kMaxAlive = 8;
constexpr int kMaxCreated = 64;
constexpr std::uint32_t kWindow = 64;

Verb verb_of(std::uint8_t v) {
  static constexpr Verb kVerbs[16] = {Verb::spawn,   Verb::fork,   Verb::exit,     Verb::mmap,
                                      Verb::mmap,    Verb::munmap, Verb::mprotect, Verb::mprotect,
                                      Verb::madvise, Verb::mremap, Verb::write,    Verb::write,
                                      Verb::write,   Verb::read,   Verb::read,     Verb::fork};
  return kVerbs[v % 16];
}

std::uint8_t code_of(Verb v) {
  switch (v) {
    case Verb::spawn:
      return 0;
    case Verb::fork:
      return 1;
    case Verb::exit:
      return 2;
    case Verb::mmap:
      return 3;
    case Verb::munmap:
      return 5;
    case Verb::mprotect:
      return 6;
    case Verb::madvise:
      return 8;
    case Verb::mremap:
      return 9;
    case Verb::write:
      return 10;
    case Verb::read:
      return 13;
  }
  return 0;
}

}  // namespace

EngineRun run_engine_bytes(const std::uint8_t* data, std::size_t size,
                           const model::Profile* profile) {
  EngineRun out;
  out.script.file = "engine";
  if (size == 0) return out;
  out.fail_alloc = data[0] >= 1 && data[0] <= 127 ? data[0] : 0;
  Script& script = out.script;
  // The script grows as it is decoded; the driver keeps a reference to it
  // and reads each operation when it steps to it.
  Simulation run(script, fuzz_internal::fail_run_options(out.fail_alloc, profile));
  const model::Env& env = machine_of(run).env();

  auto alive = [&] {
    std::vector<int> slots;
    for (int s = 0; s < static_cast<int>(script.procs.size()); ++s)
      if (machine_of(run).process(s)) slots.push_back(s);
    return slots;
  };
  auto fail = [&](const Op& op, const std::string& why) {
    out.problem = fmt::format("after line {} ({}): {}", op.line, format_op(script, op), why);
  };

  for (std::size_t at = 1; at + 5 <= size && !out.problem; at += 5) {
    const std::uint8_t* b = data + at;
    const std::vector<int> live = alive();
    Op op;
    op.verb = live.empty() ? Verb::spawn : verb_of(b[0]);
    op.line = static_cast<int>(script.ops.size()) + 1;
    if (op.verb == Verb::spawn) {
      if (static_cast<int>(script.procs.size()) >= kMaxCreated) continue;
      op.proc = static_cast<int>(script.procs.size());
      script.procs.push_back(fmt::format("P{}", op.proc));
    } else {
      op.proc = live[b[1] % live.size()];
    }
    op.a = b[2] % kWindow;
    op.n = b[3] % 16 + 1;
    const std::uint8_t x = b[4];
    switch (op.verb) {
      case Verb::spawn:
      case Verb::exit:
      case Verb::munmap:
        break;
      case Verb::fork:
        if (static_cast<int>(live.size()) >= kMaxAlive ||
            static_cast<int>(script.procs.size()) >= kMaxCreated)
          continue;
        op.child = static_cast<int>(script.procs.size());
        script.procs.push_back(fmt::format("C{}", op.child));
        break;
      case Verb::mmap:
        op.prot = static_cast<Prot>(x % 5);
        op.shared = (x & 0x18) == 0x18;
        break;
      case Verb::mprotect:
        op.prot = static_cast<Prot>(x % 5);
        break;
      case Verb::madvise:
        op.advice = static_cast<Advice>(x % 5);
        break;
      case Verb::mremap:
        op.m = b[3] / 16 + 1;
        op.b = (x & 0x80) ? op.a : x % kWindow;
        break;
      case Verb::read:
      case Verb::write: {
        // Keep the accessible prefix; none: drop the operation.
        const model::mm_struct& mm = *machine_of(run).process(op.proc);
        std::uint32_t ok = 0;
        while (ok < op.n &&
               !model::access_fault(mm, machine_of(run), op.a + ok, op.verb == Verb::write))
          ++ok;
        if (ok == 0) continue;
        op.n = ok;
        break;
      }
    }
    script.ops.push_back(op);
    const bool before = env.injected_failure();
    auto rec = run.step();
    if (!rec) {
      fail(op, rec.error().message);
      break;
    }
    const std::string& result = rec->result;
    if (result == "killed") {
      fail(op, "the decoder let a process make an access it cannot make");
      break;
    }
    if (!before && env.injected_failure()) {
      const auto ok = fuzz_internal::results_on_alloc_failure(op);
      if (std::find(ok.begin(), ok.end(), result) == ok.end())
        fail(op, fmt::format("returned {} with allocation {} failing", result, out.fail_alloc));
    }
    if (out.problem) break;
    if (const auto& v = run.violation())
      fail(op, fmt::format("invariant {} broken: {}", v->rule, v->message));
  }
  if (!out.problem) {
    run.exit_all();
    if (const auto& v = run.check_all())
      out.problem = fmt::format("once every process has exited: invariant {} broken: {}", v->rule,
                                v->message);
  }
  return out;
}

std::vector<std::uint8_t> encode_engine_bytes(const Script& script) {
  std::vector<std::uint8_t> out = {0xff};  // no failure
  std::vector<int> live;
  for (const Op& op : script.ops) {
    std::uint8_t b[5] = {code_of(op.verb), 0, 0, 0, 0};
    if (op.verb != Verb::spawn) {
      auto it = std::find(live.begin(), live.end(), op.proc);
      b[1] = static_cast<std::uint8_t>(it - live.begin());
    }
    b[2] = static_cast<std::uint8_t>(std::min<std::uint32_t>(op.a, kWindow - 1));
    b[3] = static_cast<std::uint8_t>(std::min<std::uint32_t>(op.n, 16) - 1);
    switch (op.verb) {
      case Verb::mmap:
        for (int x = 0; x < 256; ++x)
          if (x % 5 == static_cast<int>(op.prot) && ((x & 0x18) == 0x18) == op.shared) {
            b[4] = static_cast<std::uint8_t>(x);
            break;
          }
        break;
      case Verb::mprotect:
        b[4] = static_cast<std::uint8_t>(op.prot);
        break;
      case Verb::madvise:
        b[4] = static_cast<std::uint8_t>(op.advice);
        break;
      case Verb::mremap:
        b[3] = static_cast<std::uint8_t>(b[3] | (std::min<std::uint32_t>(op.m, 16) - 1) << 4);
        b[4] = op.b == op.a ? 0x80
                            : static_cast<std::uint8_t>(std::min<std::uint32_t>(op.b, kWindow - 1));
        break;
      default:
        break;
    }
    out.insert(out.end(), b, b + 5);
    if (op.verb == Verb::spawn) live.push_back(op.proc);
    if (op.verb == Verb::fork) live.push_back(op.child);
    if (op.verb == Verb::exit) live.erase(std::find(live.begin(), live.end(), op.proc));
  }
  return out;
}

}  // namespace rmaplab
