// The model setup and parameters the benchmark files share (bench.h).
#include "bench.h"

#include "model/env.h"
#include "model/mm.h"

namespace rmaplab::bench {

std::vector<std::int64_t> vma_counts(const Config& config) {
  if (config.quick) return {1, 100};
  return {1, 100, 1000, 10000};
}

bool build_gapped_process(model::Machine& m, int slot, std::int64_t n) {
  m.apply(Op{.verb = Verb::spawn, .proc = slot});
  for (std::int64_t i = 0; i < n; ++i) {
    const auto page = static_cast<std::uint32_t>(2 * i);
    if (m.apply(Op{.verb = Verb::mmap, .proc = slot, .a = page, .n = 1, .prot = Prot::rw}).error)
      return false;
    const model::OpResult r = m.apply(Op{.verb = Verb::write, .proc = slot, .a = page, .n = 1});
    if (r.error || r.fault) return false;
  }
  const model::mm_struct* mm = m.process(slot);
  return mm && mm->map_count() == static_cast<std::size_t>(n) &&
         m.env().live_anon_vmas() == static_cast<std::size_t>(n);
}

}  // namespace rmaplab::bench
