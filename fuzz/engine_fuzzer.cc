// libFuzzer target: the model (operation bytes in).
//
// The bytes decode to valid operations (src/fuzz/engine.h: the first byte
// may inject an anon_vma/AVC allocation failure), which run through the
// model with the invariant checker after every one; at the end every process
// exits and nothing may be left. A failure prints the decoded script, to
// replay with `rmaplab run --check` (or `--fail-alloc K`), and aborts.
// In memory only.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/engine.h"
#include "rmaplab/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const rmaplab::EngineRun run = rmaplab::run_engine_bytes(data, size);
  if (!run.problem) return 0;
  std::fprintf(stderr, "engine_fuzzer: %s\n# replay: rmaplab run --check%s FILE\n%s",
               run.problem->c_str(),
               run.fail_alloc ? (" --fail-alloc " + std::to_string(run.fail_alloc)).c_str() : "",
               rmaplab::script_text(run.script).c_str());
  std::abort();
}
