// Random valid workloads.
//
// generate_script() writes a script that a real kernel can run: every read
// and write touches a page that is mapped and accessible at that moment
// (the generator runs the model alongside to know), names are never reused,
// and every verb of the language appears often. It is biased toward the
// shapes where anon_vma bugs have lived: fork chains whose middle generations
// exit, split and merge after fork, mremap of forked VMAs, MAP_FIXED over
// faulted ranges, DONTFORK/WIPEONFORK before fork. Same options, same script,
// on any machine.
#pragma once

#include <cstdint>
#include <string>

namespace rmaplab {

namespace model {
struct Profile;
}

struct GenOptions {
  std::uint64_t seed = 1;
  int procs = 8;   // processes alive at once, at most
  int ops = 60;    // operations
  int pages = 48;  // the arena window the script works in (small: more interplay)
  // The rules the script must be valid under (layouts, and so which pages
  // can be touched, depend on them); null: linux-6.18.
  const model::Profile* profile = nullptr;
};

// The script text, starting with a comment that names the seed and options.
std::string generate_script(const GenOptions& options);

}  // namespace rmaplab
