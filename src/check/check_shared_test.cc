// The rules every design keeps fail when a design breaks them: a planted
// cow-context walk that skips the folio's descendants (S1), and a design
// that loses its contexts (S3 / C1).
#include <gtest/gtest.h>

#include "check/check.h"
#include "model/anon_rmap.h"
#include "model/machine.h"
#include "model/mm.h"
#include "rmaplab/profile.h"
#include "rmaplab/script.h"

namespace rmaplab {
namespace {

using model::AnonRmap;

// Every call goes to a real cow-context design, except the walk, which
// keeps only the candidates in the folio's own context's mm.
class SkipsDescendants : public AnonRmap {
 public:
  SkipsDescendants() : real_(model::make_anon_rmap(model::cow_context_profile())) {}
  model::DesignKind kind() const override { return real_->kind(); }
  void mm_init(model::Env& e, model::mm_struct& mm) override { real_->mm_init(e, mm); }
  void mm_exit(model::Env& e, model::mm_struct& mm) override { real_->mm_exit(e, mm); }
  int prepare(model::Env& e, model::vm_area_struct* v) override { return real_->prepare(e, v); }
  int fork(model::Env& e, model::vm_area_struct* v, model::vm_area_struct* p) override {
    return real_->fork(e, v, p);
  }
  void fork_mm(model::Env& e, model::mm_struct& c, model::mm_struct& p) override {
    real_->fork_mm(e, c, p);
  }
  int clone(model::Env& e, model::vm_area_struct* d, const model::vm_area_struct* s) override {
    return real_->clone(e, d, s);
  }
  void unlink(model::Env& e, model::vm_area_struct* v) override { real_->unlink(e, v); }
  int before_move(model::Env& e, model::mm_struct& mm, model::vm_area_struct* v) override {
    return real_->before_move(e, mm, v);
  }
  void lock_vma(model::Env& e, const model::vm_area_struct* v) override { real_->lock_vma(e, v); }
  void unlock_vma(model::Env& e, const model::vm_area_struct* v) override {
    real_->unlock_vma(e, v);
  }
  void vma_moving(model::vm_area_struct* v) override { real_->vma_moving(v); }
  void vma_moved(model::vm_area_struct* v) override { real_->vma_moved(v); }
  void folio_new(model::Env& e, model::folio* f, model::vm_area_struct* v,
                 std::uint32_t page) override {
    real_->folio_new(e, f, v, page);
  }
  void folio_reuse(model::Env& e, model::folio* f, model::vm_area_struct* v) override {
    real_->folio_reuse(e, f, v);
  }
  void folio_freed(model::Env& e, model::folio* f) override { real_->folio_freed(e, f); }
  std::vector<model::RmapHit> walk(const model::folio& f) const override {
    std::vector<model::RmapHit> hits;
    for (const model::RmapHit& h : real_->walk(f))
      if (h.vma->vm_mm->cow_context == f.cow_context) hits.push_back(h);
    return hits;
  }
  bool owner_live(const model::Env& e, const model::folio& f) const override {
    return real_->owner_live(e, f);
  }
  std::vector<model::DesignObjects> objects() const override { return real_->objects(); }

 private:
  std::unique_ptr<AnonRmap> real_;
};

struct Model {
  model::Env env{model::Env::Options{.profile = &model::cow_context_profile()}};
  model::Machine machine;
  Script script;
  explicit Model(std::unique_ptr<AnonRmap> design) : machine(env, std::move(design)) {}
  std::optional<Finding> after(std::string_view text) {
    script = parse_script(text, "t.rml").value();
    for (const Op& op : script.ops) machine.apply(op);
    return check_invariants(machine, script.procs);
  }
};

TEST(SharedRules, TheRealCowContextWalkFindsTheChildsMapping) {
  Model r(model::make_anon_rmap(model::cow_context_profile()));
  EXPECT_FALSE(r.after("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\n"));
}

TEST(SharedRules, AWalkThatSkipsADescendantBreaksS1) {
  // Before a fork every folio is mapped in its creator's mm only: fine.
  Model before(std::make_unique<SkipsDescendants>());
  EXPECT_FALSE(before.after("spawn P\nP mmap 0 4\nP write 0 4\n"));
  Model r(std::make_unique<SkipsDescendants>());
  const auto f = r.after("spawn P\nP mmap 0 4\nP write 0 4\nP fork C\n");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, "S1 rmap_complete");
  EXPECT_NE(f->message.find("does not find its mapping at C page 0"), std::string::npos)
      << f->message;
}

}  // namespace
}  // namespace rmaplab
