// Bytes to operations, for the engine fuzzer (fuzz/engine_fuzzer.cc): any
// byte string decodes to a valid script, which runs through the model as it
// is decoded, with the invariant checker after every operation.
//
// Layout:
//   byte 0        allocation failure: 1..127 fails that anon_vma/AVC
//                 allocation (fail_alloc), anything else none
//   then 5 bytes per operation, [v p a n x]:
//     v % 16      0 spawn, 1 15 fork, 2 exit, 3 4 mmap, 5 munmap,
//                 6 7 mprotect, 8 madvise, 9 mremap, 10-12 write, 13 14 read
//     p           the acting process: the (p % alive)-th live one, oldest first
//     a % 64      first page; n % 16 + 1 pages
//     x           mmap: prot x % 5 (none r rx rw rwx), MAP_SHARED if x & 0x18 == 0x18
//                 mprotect: prot x % 5; madvise: advice x % 5 (dontneed
//                 dontfork dofork wipeonfork keeponfork)
//                 mremap: new length n / 16 + 1, destination a if x & 0x80
//                 else x % 64
//   A trailing partial operation is ignored. Operations that would be
//   invalid are dropped, not repaired: a read or write of a page the process
//   cannot access (its accessible prefix is kept), a fork past 8 live or 64
//   created processes. No live process: the operation is a spawn.
//
// With an injected failure the run follows fail_each()'s rules (a failed
// fork's child never exists; the failing operation must return what 6.18
// returns); at the end every process exits and nothing may be left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rmaplab/script.h"

namespace rmaplab {
namespace model {
struct Profile;
}

struct EngineRun {
  Script script;  // the operations decoded (slots as created)
  std::uint64_t fail_alloc = 0;
  std::optional<std::string> problem;  // the first broken invariant or wrong result
};

EngineRun run_engine_bytes(const std::uint8_t* data, std::size_t size,
                           const model::Profile* profile = nullptr);

// Bytes that decode to `script` (no failure injected), as nearly as the
// layout allows: pages past 63 and lengths past 16 are clamped. For the
// seed corpus.
std::vector<std::uint8_t> encode_engine_bytes(const Script& script);

}  // namespace rmaplab
