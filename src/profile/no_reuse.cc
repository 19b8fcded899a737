// no-reuse: Linux 2.6.34 to 3.18, after anon_vma_chain arrived and before
// fork learnt to reuse (field guide §12.3). Every fork of a faulted VMA
// creates a child anon_vma, so a lineage that forks and exits, generation
// after generation, adds a level each time: its chains, the AVCs each fork
// copies and each exit frees, and the anon_vmas kept alive all grow by one
// per generation (examples/fork-forever.rml).
//
// Not modelled: those kernels had no num_children/num_active_vmas (the
// model keeps them; nothing reads them under this profile), and their merge
// rules (the model merges by 6.18.8's).
#include "rmaplab/profile.h"

namespace rmaplab::model {
namespace {

bool never(ReuseCandidate) { return false; }

}  // namespace

const Profile& no_reuse() {
  static const Profile p = [] {
    Profile r = linux_6_18();
    r.name = "no-reuse";
    r.description = "fork never reuses: every fork of a faulted VMA adds a level to the hierarchy";
    r.kernels = "2.6.34 to 3.18";
    r.claims_from = {2, 6};
    r.claims_to = {3, 18};
    r.fork_may_reuse = never;
    return r;
  }();
  return p;
}

}  // namespace rmaplab::model
