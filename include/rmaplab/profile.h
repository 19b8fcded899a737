// Rule sets (profiles): the anon_vma lifecycle and VMA rules that differ between
// kernel versions and proposals, as the seam the model consults. Public, so
// other tools can list and describe them; it needs nothing of the model.
//
// A Profile states only what differs from Linux 6.18; the engine
// (src/model: rmap.cc, anon_vma.cc, ...) is shared and reads these hooks at
// the few points where the rule sets part ways. Each hook's default is
// 6.18's behaviour, so a profile file names only its differences. One
// profile per file in src/profile, listed by the table in profiles.cc:
//
//   linux_6_18.cc     the default: this machine's kernel
//   linux_6_12.cc     6.12: older merge and mremap rules (mm/vma.c, mm/mremap.c)
//   linux_6_1.cc      6.1: 6.12's, and 6.1's munmap splits and mmap merges (mm/mmap.c)
//   rfc_v1.cc         the seed RFC's first version (2025), as posted: broken
//   rfc_v2.cc         the seed RFC (2025) applied to 6.18
//   linux_7_0.cc      7.0: the January 2026 anon_vma clean-up and its March fix
//   linux_7_0_pre_fix.cc  the same before the March fix
//   degree.cc         3.19 - 5.19: one `degree` counter
//   no_reuse.cc       2.6.34 - 3.18: fork never reuses
//   anon_vma_lazy.cc  ANON_VMA_LAZY (2026 proposal), another design
//   cow_context.cc    COW context (2026 proposal), another design
//
// Adding a rule a profile needs means adding one named hook here, with its
// 6.18 default, not a flag threaded through the engine. Profiles are
// immutable statics: safe to share between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rmaplab::model {

// The profile a run uses when none is named.
inline constexpr std::string_view kDefaultProfile = "linux-6.18";

// What anon_vma_fork's reuse rule may look at: one anon_vma on the parent
// VMA's chain, as values (the counters of struct anon_vma, 6.18 names).
struct ReuseCandidate {
  int num_children = 0;           // live child anon_vmas (a root counts its self link)
  int num_active_vmas = 0;        // VMAs whose vma->anon_vma is this one
  bool is_pvma_anon_vma = false;  // it is the parent VMA's own anon_vma (pvma->anon_vma)
};

// A kernel version as major.minor ("6.12"); {0, 0} is none.
struct KernelVersion {
  int major = 0;
  int minor = 0;
  friend constexpr auto operator<=>(KernelVersion, KernelVersion) = default;
};

// The name `--profile` takes for "the profile that claims the kernel".
inline constexpr std::string_view kAutoProfile = "auto";

// Which implementation of anonymous rmap a profile runs (src/model/design/):
// the rule hooks below belong to the anon_vma design; another design ignores
// them and states its own rules in its file.
enum class Design : std::uint8_t {
  anon_vma,     // Linux's anon_vma hierarchy (every kernel so far)
  cow_context,  // COW context (Stoakes, LSF/MM+BPF 2026): no anon_vma, no AVC
  anon_vma_lazy,  // ANON_VMA_LAZY (Honor, May 2026): no anon_vma before fork
};

struct Profile {
  std::string_view name;         // "linux-6.18"
  std::string_view description;  // one line
  std::string_view kernels;      // the kernel versions it describes, or the proposal's date

  // anon_vma_fork walks the parent VMA's chain from the root; the first
  // anon_vma this accepts becomes the child's (instead of a new one).
  bool (*fork_may_reuse)(ReuseCandidate candidate) = nullptr;

  // When anon_vma_fork allocates the child's own anon_vma and its AVC.
  enum class ForkAlloc : std::uint8_t {
    anon_vma_first,  // after the clone, only if nothing was reused: anon_vma, then AVC (6.18)
    avc_first,       // after the clone, only if nothing was reused: AVC, then anon_vma
    before_clone,    // both before the clone; a reuse or a failed clone releases them
  };
  ForkAlloc fork_alloc = ForkAlloc::anon_vma_first;

  // The anon_vma allocator counts the new object in its parent's
  // num_children itself, under the family's root write lock (one more
  // lock/unlock per allocated anon_vma). 6.18 counts it in the caller, under
  // a lock the caller takes anyway (or none, for a new root).
  bool alloc_takes_root_lock = false;

  // anon_vma_clone allocates every AVC before taking the root lock, and
  // unwinds a failed allocation by freeing the unlinked AVCs. 6.18
  // allocates each under the lock and unwinds with unlink_anon_vmas.
  bool clone_allocates_unlocked = false;

  // anon_vma_clone for split, merge and mremap (dst shares src's active
  // anon_vma) counts dst in that anon_vma's num_active_vmas. rfc-v1 lost
  // the increment: the anon_vma then counts one VMA fewer than use it.
  bool clone_counts_active_vma = true;

  // anon_vma_fork's reuse attaches the child VMA (num_active_vmas++) as soon
  // as the chain walk picks the anon_vma, and a later failed AVC allocation
  // clears vma->anon_vma before unlink_anon_vmas, so the count stays. 6.18
  // attaches after the walk: a failed walk has attached nothing.
  bool clone_attaches_reuse_in_walk = false;

  // anon_vma_fork's new child anon_vma is counted in its parent's
  // num_children when it is allocated, and takes its pin on the family root
  // only once its AVC exists. A failed AVC allocation puts it with the count
  // left in the parent and drops a root reference it never took. 6.18
  // counts the child after its AVC, and puts nothing it did not get.
  bool fork_unwind_leaks_child = false;

  // With clone_allocates_unlocked: a failed anon_vma_clone for a merge
  // (dup_anon_vma, which set dst->anon_vma to src's first) frees its AVCs
  // but leaves dst->anon_vma set, uncounted and with an empty chain. The
  // March 2026 fix ("mm/rmap: clear vma->anon_vma on error") clears it.
  bool clone_unwind_keeps_anon_vma = false;

  // With clone_allocates_unlocked: anon_vma_clone allocates dst's AVCs
  // walking src's chain from its head (newest first) and adds each at dst's
  // head, so dst's chain is src's reversed; the second walk (dst from its
  // tail) then meets src's anon_vmas in src's order, so fork tries them for
  // reuse in that order. 6.18 walks src from its tail: dst keeps src's
  // order, children before parents and the root last, and reuse is tried
  // from the root. 7.x mm/rmap.c (list_for_each_entry, then list_add).
  bool clone_reverses_chain = false;

  // When __put_anon_vma's free of a child drops the family root's last
  // reference, the root's kmem_cache_free is traced with the call site of
  // __put_anon_vma's caller (unlink_anon_vmas): Debian's 7.3.4 build makes
  // that free a tail call. 6.18's build traces it in __put_anon_vma. A
  // property of the compiled kernel, not of the source.
  bool root_free_traced_in_caller = false;

  // --- VMA rules (mm/vma.c, mm/mremap.c) ---

  // A merge may join an unfaulted VMA to a faulted range (or a faulted VMA
  // to an unfaulted neighbour's place), giving the unfaulted one the
  // other's anon_vma with dup_anon_vma: is_mergeable_anon_vma's case 1
  // (6.16, "mm/vma: fix incorrectly disallowed anonymous VMA merges").
  // Before 6.16 the test asked for a singular chain on the merge target,
  // which an unfaulted target never has: such VMAs stay apart.
  bool merge_unfaulted_with_faulted = true;

  // mremap of equal lengths to a fixed address moves every VMA in the
  // range (6.17), after check_mremap_params refused an overlap (EINVAL)
  // before taking mmap_lock. Before 6.17 mremap looks the source up first
  // (no VMA at addr: EFAULT), refuses an overlap under the lock, unmaps
  // the destination and only then requires the source range to lie in one
  // VMA (EFAULT, the destination already gone).
  bool mremap_moves_several_vmas = true;

  // munmap's splits (do_vmi_munmap, also under MAP_FIXED and mremap) make
  // the pieces that go the new VMAs: the start is split with the new VMA
  // above it, the end with the new VMA below it, and the original VMA keeps
  // what stays, so the AVCs freed are the clones'. 6.1's do_mas_align_munmap
  // ("lower split_vma places tmp vma above, and higher split_vma places tmp
  // vma below"). 6.12 and 6.18 split the other way round: the original is
  // unmapped and its AVC freed.
  bool munmap_unmaps_new_pieces = false;

  // A new mapping (mmap) tries to expand next first, with no anon_vma of
  // its own, then prev against next's anon_vma when next suits, and expands
  // prev when prev suits, else next: 6.1's mmap_region. Between two VMAs
  // with different anon_vmas it joins next; beside an unfaulted prev and a
  // faulted next it joins next and allocates nothing. 6.12 and 6.18 try
  // prev first through vma_merge_new_range.
  bool mmap_merges_next_first = false;

  // mprotect that makes a private mapping read-only drops VM_ACCOUNT (and
  // its charge) while the VMA has no anon_vma. 6.1's mprotect_fixup never
  // refunds: the unfaulted read-only VMA keeps VM_ACCOUNT, and a fresh
  // read-only mapping beside it does not merge (examples/16-vm-account.rml
  // line 33, measured on Debian's 6.1.176).
  bool mprotect_refunds_unfaulted = true;

  // The implementation the rules above belong to (after them, so that a
  // profile written positionally is an anon_vma rule set).
  Design design = Design::anon_vma;

  // The releases it claims to describe, both ends included, for
  // `--profile auto`: only what was verified against a kernel of the range
  // or read from its source. A proposal claims none ({0, 0}, {0, 0}). Last,
  // so that a profile written positionally (name, description, kernels,
  // reuse rule) claims nothing.
  KernelVersion claims_from = {};
  KernelVersion claims_to = {};
};

// The profiles (one file each). linux_6_18() is the default (kDefaultProfile).
const Profile& linux_6_18();
const Profile& linux_6_12();
const Profile& linux_6_1();
const Profile& rfc_v1();
const Profile& rfc_v2();
const Profile& linux_7_0();
const Profile& linux_7_0_pre_fix();
const Profile& degree();
const Profile& no_reuse();
const Profile& anon_vma_lazy();
const Profile& cow_context_profile();  // not cow_context(): the struct has that name

// Every profile `--profile` accepts, in the order `rmaplab profiles` lists them.
const std::vector<const Profile*>& profiles();

// The profile called `name`, or null.
const Profile* find_profile(std::string_view name);

// major.minor of a kernel release string ("6.12.117+deb13-cloud-amd64",
// "7.3.4", "6.1"), or {0, 0} if it does not start with one.
KernelVersion parse_kernel_release(std::string_view release);

// The profile whose claims include `version`, or null: claims never overlap.
const Profile* profile_claiming(KernelVersion version);

}  // namespace rmaplab::model
