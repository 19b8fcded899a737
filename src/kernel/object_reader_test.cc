// The kernel object reader against processes of known structure: this test
// faults, forks, copies on write, splits, merges and exits, and reads the
// kernel's objects after each step. The expected values are the kernel's
// rules (Linux 6.18 mm/rmap.c, mm/vma.c), cited at each step; skipped with
// the reason where the reader cannot run (not root, no BTF, no toolchain).
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include <gtest/gtest.h>

#include "rmaplab/kernel_objects.h"

namespace rmaplab::kernel {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr int kPages = 8;

// A child that writes its copy of page 0 on 'w' and exits on 'x'.
struct Child {
  pid_t pid = -1;
  int to = -1, from = -1;

  bool command(char c) {
    if (write(to, &c, 1) != 1) return false;
    char ack = 0;
    return c == 'x' || read(from, &ack, 1) == 1;
  }
  void reap() {
    if (pid > 0) {
      command('x');
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
    if (to >= 0) close(to);
    if (from >= 0) close(from);
    to = from = -1;
  }
};

Child fork_child(volatile char* arena) {
  int down[2], up[2];
  if (pipe(down) != 0 || pipe(up) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    char c = 0;
    while (read(down[0], &c, 1) == 1 && c != 'x') {
      if (c == 'w') arena[0] = 2;
      if (write(up[1], &c, 1) != 1) break;
    }
    _exit(0);
  }
  close(down[0]);
  close(up[1]);
  return {pid, down[1], up[0]};
}

class ObjectReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ReadError why;
    if (!object_reader_available(&why)) GTEST_SKIP() << why.message;
    // PROT_NONE guard pages either side: the arena never merges with a
    // neighbour.
    void* m = mmap(nullptr, (kPages + 2) * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(m, MAP_FAILED);
    base_ = reinterpret_cast<std::uint64_t>(m);
    arena_ = reinterpret_cast<volatile char*>(base_ + kPage);
    ASSERT_EQ(mprotect(const_cast<char*>(arena_), kPages * kPage, PROT_READ | PROT_WRITE), 0);
    madvise(const_cast<char*>(arena_), kPages * kPage, MADV_NOHUGEPAGE);
  }
  void TearDown() override {
    child_.reap();
    if (base_) munmap(reinterpret_cast<void*>(base_), (kPages + 2) * kPage);
  }

  std::uint64_t start() const { return base_ + kPage; }

  ReadRequest request(int pid) const {
    ReadRequest r;
    r.pid = pid;
    r.start = start();
    r.end = start() + kPages * kPage;
    r.page_addresses = {start()};
    return r;
  }

  ObjectDump read(std::vector<ReadRequest> requests) {
    ObjectDump d;
    ReadError e;
    EXPECT_TRUE(read_objects(requests, &d, &e)) << e.message;
    return d;
  }

  std::vector<const KernelVma*> vmas_of(const ObjectDump& d, int pid) {
    std::vector<const KernelVma*> out;
    for (const KernelVma& v : d.vmas)
      if (v.pid == pid) out.push_back(&v);
    return out;
  }

  std::uint64_t base_ = 0;
  volatile char* arena_ = nullptr;
  Child child_;
};

TEST_F(ObjectReaderTest, AVmaWithoutAFaultHasNoAnonVma) {
  ObjectDump d = read({request(getpid())});
  ASSERT_EQ(d.vmas.size(), 1u);
  EXPECT_EQ(d.vmas[0].start, start());
  EXPECT_EQ(d.vmas[0].end, start() + kPages * kPage);
  EXPECT_EQ(d.vmas[0].anon_vma, 0u);
  EXPECT_TRUE(d.vmas[0].chain.empty());
  EXPECT_TRUE(d.anon_vmas.empty());
  EXPECT_TRUE(d.pages.empty());  // nothing present
}

TEST_F(ObjectReaderTest, FaultForkCowSplitMergeExit) {
  const int self = getpid();
  // Fault: __anon_vma_prepare gives the VMA a new root anon_vma: refcount 1,
  // num_children 1 (its self-parent link), num_active_vmas 1, one AVC; the
  // folio is mapped once at index vm_pgoff (an anonymous VMA's vm_pgoff is
  // its start >> PAGE_SHIFT).
  arena_[0] = 1;
  ObjectDump d = read({request(self)});
  ASSERT_EQ(d.vmas.size(), 1u);
  const std::uint64_t a = d.vmas[0].anon_vma;
  ASSERT_NE(a, 0u);
  EXPECT_EQ(d.vmas[0].pgoff, start() / kPage);
  EXPECT_EQ(d.vmas[0].chain, std::vector<std::uint64_t>{a});
  ASSERT_EQ(d.anon_vmas.size(), 1u);
  const KernelAnonVma& root = d.anon_vmas[0];
  EXPECT_EQ(root.address, a);
  EXPECT_EQ(root.root, a);
  EXPECT_EQ(root.parent, a);
  EXPECT_EQ(root.refcount, 1);
  EXPECT_EQ(root.num_children, 1u);
  EXPECT_EQ(root.num_active_vmas, 1u);
  ASSERT_EQ(root.tree.size(), 1u);
  EXPECT_EQ(root.tree[0].vm_start, start());
  EXPECT_EQ(root.tree[0].pgoff_first(), start() / kPage);
  EXPECT_EQ(root.tree[0].pgoff_last(), start() / kPage + kPages - 1);
  ASSERT_EQ(d.pages.size(), 1u);
  EXPECT_EQ(d.pages[0].anon_vma, a);
  EXPECT_EQ(d.pages[0].index, start() / kPage);
  EXPECT_EQ(d.pages[0].mapcount, 1);

  // Fork: anon_vma_fork clones the parent's chain (A) into the child's VMA,
  // then links a new anon_vma B at the head of the list (list_add), so the
  // child's chain is [B, A]; B's root and parent are A, B takes a reference
  // on its root (A's refcount 2) and counts in A's num_children (2); the
  // child's VMA points to B, so A's num_active_vmas stays 1. A's tree holds
  // both VMAs, B's the child's; the page is mapped twice.
  child_ = fork_child(arena_);
  ASSERT_GT(child_.pid, 0);
  ASSERT_TRUE(child_.command('p'));  // the child is running and idle
  d = read({request(self), request(child_.pid)});
  ASSERT_EQ(vmas_of(d, child_.pid).size(), 1u);
  const KernelVma& cv = *vmas_of(d, child_.pid)[0];
  const std::uint64_t b = cv.anon_vma;
  ASSERT_NE(b, 0u);
  ASSERT_NE(b, a);
  EXPECT_EQ(cv.chain, (std::vector<std::uint64_t>{b, a}));
  ASSERT_EQ(d.anon_vmas.size(), 2u);
  const KernelAnonVma* ka = d.find_anon_vma(a);
  const KernelAnonVma* kb = d.find_anon_vma(b);
  ASSERT_TRUE(ka && kb);
  EXPECT_EQ(ka->refcount, 2);
  EXPECT_EQ(ka->num_children, 2u);
  EXPECT_EQ(ka->num_active_vmas, 1u);
  EXPECT_EQ(ka->tree.size(), 2u);
  EXPECT_EQ(kb->root, a);
  EXPECT_EQ(kb->parent, a);
  EXPECT_EQ(kb->refcount, 1);
  EXPECT_EQ(kb->num_children, 0u);
  EXPECT_EQ(kb->num_active_vmas, 1u);
  ASSERT_EQ(kb->tree.size(), 1u);
  EXPECT_EQ(kb->tree[0].vma, cv.address);
  ASSERT_EQ(d.pages.size(), 2u);
  EXPECT_EQ(d.pages[0].pfn, d.pages[1].pfn);
  EXPECT_EQ(d.pages[0].mapcount, 2);
  EXPECT_EQ(d.pages[0].anon_vma, a);

  // COW: the child's write copies the page (do_wp_page); the new folio is
  // mapped into the child's anon_vma B; each copy is mapped once.
  ASSERT_TRUE(child_.command('w'));
  d = read({request(self), request(child_.pid)});
  ASSERT_EQ(d.pages.size(), 2u);
  EXPECT_NE(d.pages[0].pfn, d.pages[1].pfn);
  EXPECT_EQ(d.pages[0].anon_vma, a);
  EXPECT_EQ(d.pages[0].mapcount, 1);
  EXPECT_EQ(d.pages[1].anon_vma, b);
  EXPECT_EQ(d.pages[1].mapcount, 1);
  EXPECT_EQ(d.pages[1].index, start() / kPage);

  // Split: mprotect of pages [3,5) cuts the parent's VMA in three
  // (__split_vma twice); each piece keeps anon_vma A through anon_vma_clone,
  // so A counts 3 active VMAs and its tree holds 3 + 1 (the child's) AVCs,
  // in pgoff order.
  char* mid = const_cast<char*>(arena_) + 3 * kPage;
  ASSERT_EQ(mprotect(mid, 2 * kPage, PROT_READ), 0);
  d = read({request(self)});
  ASSERT_EQ(d.vmas.size(), 3u);
  for (const KernelVma& v : d.vmas) {
    EXPECT_EQ(v.anon_vma, a);
    EXPECT_EQ(v.chain, std::vector<std::uint64_t>{a});
  }
  ka = d.find_anon_vma(a);
  ASSERT_TRUE(ka);
  EXPECT_EQ(ka->num_active_vmas, 3u);
  ASSERT_EQ(ka->tree.size(), 4u);
  for (std::size_t i = 1; i < ka->tree.size(); i++)
    EXPECT_LE(ka->tree[i - 1].pgoff_first(), ka->tree[i].pgoff_first());

  // Merge: mprotect back merges the three (vma_merge_existing_range); the
  // removed pieces' AVCs are unlinked, A counts one active VMA again.
  ASSERT_EQ(mprotect(mid, 2 * kPage, PROT_READ | PROT_WRITE), 0);
  d = read({request(self)});
  ASSERT_EQ(d.vmas.size(), 1u);
  ka = d.find_anon_vma(a);
  ASSERT_TRUE(ka);
  EXPECT_EQ(ka->num_active_vmas, 1u);
  EXPECT_EQ(ka->tree.size(), 2u);

  // Exit: exit_mmap's unlink_anon_vmas empties B's tree, so B leaves A's
  // num_children, and B is freed, putting its reference on A.
  const int gone = child_.pid;
  child_.reap();
  d = read({request(self)});
  ka = d.find_anon_vma(a);
  ASSERT_TRUE(ka);
  EXPECT_EQ(ka->refcount, 1);
  EXPECT_EQ(ka->num_children, 1u);
  EXPECT_EQ(ka->num_active_vmas, 1u);
  EXPECT_EQ(ka->tree.size(), 1u);
  EXPECT_EQ(d.find_anon_vma(b), nullptr);

  // The exited child's PID names no process now.
  ObjectDump none;
  ReadError e;
  EXPECT_FALSE(read_objects({request(gone)}, &none, &e));
  EXPECT_EQ(e.failure, ReadFailure::no_process) << e.message;
}

TEST_F(ObjectReaderTest, AKernelThreadHasNoAddressSpace) {
  ObjectDump d;
  ReadError e;
  EXPECT_FALSE(read_objects({request(2)}, &d, &e));  // kthreadd
  EXPECT_EQ(e.failure, ReadFailure::kernel_thread) << e.message;
}

}  // namespace
}  // namespace rmaplab::kernel
