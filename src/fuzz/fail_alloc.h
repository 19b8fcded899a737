// Allocation-failure runs, shared by fail_each() and the engine fuzzer: a
// script driven through the one driver (rmaplab/run.h) so that what a
// failure leaves behind (a fork that did not happen, a process that would
// now be killed) can be followed, with the checker after every operation.
// Internal to src/fuzz.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/fuzz.h"
#include "rmaplab/run.h"
#include "rmaplab/script.h"

namespace rmaplab::fuzz_internal {

// What 6.18 returns from an operation during which one anon_vma or AVC
// allocation failed:
//   write             OOM: the fault returns VM_FAULT_OOM (__anon_vma_prepare
//                     frees what it allocated)
//   fork              ENOMEM: anon_vma_clone unlinks its partial chain or
//                     anon_vma_fork puts its new anon_vma, dup_mmap fails and
//                     the half-built child is torn down
//   munmap, mprotect, madvise
//                     ENOMEM: a split (anon_vma_clone) or a merge's
//                     dup_anon_vma failed; pieces already done stay done
//   mmap              ENOMEM when splitting what MAP_FIXED replaces fails; ok
//                     when only the merge attempt failed (__mmap_region then
//                     maps a new VMA instead)
//   mremap            ENOMEM, or ok when only copy_vma's merge attempt failed
//                     (it then copies into a new VMA) or the source's unmap
//                     could not split (unmap_source_vma ignores that); a move
//                     to a new address of the same size (remap_move) also
//                     EFAULT: when the source merged into the destination
//                     and its unmap could not split, the VMA iterator finds
//                     the merged VMA again, moves its remaining part onto
//                     itself, and mremap_to's vma_lookup after unmapping the
//                     destination finds nothing
//   spawn, read, exit nothing: they allocate no anon_vma or AVC
std::vector<std::string_view> results_on_alloc_failure(const Op& op);

// fail_point(), adding the run's coverage to `stats` if given.
FailPoint run_fail_point(const Script& script, std::uint64_t k, const model::Profile* profile,
                         FuzzStats* stats);

// The first allocation point of `script` whose run fails with rule `what`
// (FailPoint::rule), if any.
std::optional<FailPoint> first_fail_point(const Script& script, const model::Profile* profile,
                                          std::string_view what);

// The driver's options for an allocation-failure run: allocation k fails,
// the checker runs after every operation, an access the process can no
// longer make kills it, and operations of processes that do not exist (a
// failed fork's child, a killed process) are skipped.
RunOptions fail_run_options(std::uint64_t k, const model::Profile* profile);

}  // namespace rmaplab::fuzz_internal
