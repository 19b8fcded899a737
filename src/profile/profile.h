// Rule sets: the anon_vma lifecycle rules that differ between kernel
// versions and proposals, as a seam the model consults.
//
// A Profile states only what differs from Linux 6.18; the engine (rmap.cc,
// vma_ops.cc, ...) is shared. Today the seam is the fork reuse rule; each new
// rule a profile needs is added here as one named hook, not as a flag
// threaded through the engine.
#pragma once

#include <string_view>
#include <vector>

namespace rmaplab::model {

struct anon_vma;

struct Profile {
  std::string_view name;         // "linux-6.18"
  std::string_view description;  // one line
  std::string_view kernels;      // the kernel versions it describes, or "proposal"

  // anon_vma_fork walks the parent VMA's chain from the root; the first
  // anon_vma this accepts becomes the child's (instead of a new one).
  // `parent_active` is the parent VMA's own anon_vma.
  bool (*fork_may_reuse)(const anon_vma& av, const anon_vma* parent_active);
};

// Linux 6.18, this machine's kernel: the default.
const Profile& linux_6_18();

// Every profile `--profile` accepts, in the order `rmaplab profiles` lists them.
const std::vector<const Profile*>& profiles();

// The profile called `name`, or null.
const Profile* find_profile(std::string_view name);

}  // namespace rmaplab::model
