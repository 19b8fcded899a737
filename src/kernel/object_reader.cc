// The kernel object reader (include/rmaplab/kernel_objects.h): the BPF
// program bpf/object_reader.bpf.c, loaded through its libbpf skeleton, walks
// a process's VMAs with a task_vma iterator (attached to a pidfd, so a
// recycled PID is never read) and writes binary records
// (bpf/object_records.h) to a ring buffer, read here after the iterator's
// read(2) reaches end-of-file.
//
// Folios: the PFN of a user address comes from /proc/PID/pagemap; the
// struct page is vmemmap_base + pfn * sizeof(struct page). vmemmap_base is
// randomised and not exported, so it is learned once: the program's
// mm_page_alloc raw tracepoint records the struct page pointers this thread
// allocates while it faults pages of its own, and the base that agrees with
// the pagemap PFNs of three such pages is taken.
#include "rmaplab/kernel_objects.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#if RMAPLAB_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/bpf/object_records.h"
#include "kernel/object_reader.skel.h"
#include "kernel/procfs.h"
#include "kernel/sys.h"
#endif

namespace rmaplab::kernel {

const KernelAnonVma* ObjectDump::find_anon_vma(std::uint64_t address) const {
  auto it = std::lower_bound(anon_vmas.begin(), anon_vmas.end(), address,
                             [](const KernelAnonVma& a, std::uint64_t x) { return a.address < x; });
  return it != anon_vmas.end() && it->address == address ? &*it : nullptr;
}

#if !RMAPLAB_HAVE_BPF

namespace {
ReadError unavailable() {
  return {ReadFailure::unavailable,
          "this rmaplab was built without the BPF object reader (configured with RMAPLAB_BPF off, "
          "or clang, bpftool or libbpf-dev were missing; scripts/install-deps installs them)"};
}
}  // namespace

bool read_objects(const std::vector<ReadRequest>&, ObjectDump*, ReadError* error) {
  *error = unavailable();
  return false;
}

bool object_reader_available(ReadError* why) {
  *why = unavailable();
  return false;
}

void preload_object_reader() {}

#else

namespace {

constexpr std::uint64_t kPfKthread = 0x00200000;  // PF_KTHREAD, include/linux/sched.h
constexpr int kRingBufferMiB = 8;                 // the ring buffer `records`

class Reader {
 public:
  ~Reader() {
    if (rb_) ring_buffer__free(rb_);
    if (skel_) object_reader__destroy(skel_);
  }

  bool load(ReadError* error) {
    if (geteuid() != 0) {
      *error = {ReadFailure::not_root,
                "reading the kernel's objects needs root (BPF programs and /proc/PID/pagemap "
                "PFNs)"};
      return false;
    }
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
      *error = {ReadFailure::no_btf,
                "the running kernel has no BTF (/sys/kernel/btf/vmlinux), which the BPF object "
                "reader needs"};
      return false;
    }
    // RMAPLAB_LIBBPF_DEBUG=1 shows libbpf's messages (the verifier's log) on stderr.
    if (!std::getenv("RMAPLAB_LIBBPF_DEBUG")) libbpf_set_print(nullptr);
    skel_ = object_reader__open();
    if (!skel_) {
      *error = {ReadFailure::other,
                fmt::format("cannot open the BPF object reader: {}", std::strerror(errno))};
      return false;
    }
    if (int err = object_reader__load(skel_)) {
      *error = {
          ReadFailure::no_btf,
          fmt::format("the kernel refused to load the BPF object reader: {}", std::strerror(-err))};
      return false;
    }
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.records), &Reader::on_record, this, nullptr);
    if (!rb_) {
      *error = {
          ReadFailure::other,
          fmt::format("cannot map the BPF object reader's ring buffer: {}", std::strerror(errno))};
      return false;
    }
    return true;
  }

  bool read(const std::vector<ReadRequest>& requests, ObjectDump* out, ReadError* error) {
    *out = {};
    out_ = out;
    vma_index_.clear();
    anon_vmas_.clear();
    skel_->bss->generation++;
    for (const ReadRequest& r : requests)
      if (!read_one(r, error)) return false;
    std::sort(out->vmas.begin(), out->vmas.end(), [](const KernelVma& a, const KernelVma& b) {
      return a.pid != b.pid ? a.pid < b.pid : a.start < b.start;
    });
    out->anon_vmas.reserve(anon_vmas_.size());
    for (auto& [addr, av] : anon_vmas_) out->anon_vmas.push_back(std::move(av));
    std::sort(out->anon_vmas.begin(), out->anon_vmas.end(),
              [](const KernelAnonVma& a, const KernelAnonVma& b) { return a.address < b.address; });
    return true;
  }

 private:
  bool read_one(const ReadRequest& r, ReadError* error) {
    Fd pidfd(int(syscall(SYS_pidfd_open, r.pid, 0)));
    if (!pidfd) {
      *error = {ReadFailure::no_process, fmt::format("no process has PID {}", r.pid)};
      return false;
    }
    auto stat = read_text_file(fmt::format("/proc/{}/stat", r.pid));
    if (!stat.ok()) {
      *error = {ReadFailure::no_process, fmt::format("no process has PID {}", r.pid)};
      return false;
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp
    // session tty_nr tpgid flags.
    std::size_t close = stat->rfind(')');
    std::uint64_t flags = 0;
    if (close != std::string::npos) {
      std::size_t pos = close + 2;
      for (int field = 0; field < 6 && pos != std::string::npos; field++)
        pos = stat->find(' ', pos) + 1;
      if (pos != std::string::npos && pos != 0)
        flags = std::strtoull(stat->c_str() + pos, nullptr, 10);
    }
    if (flags & kPfKthread) {
      *error = {ReadFailure::kernel_thread,
                fmt::format("PID {} is a kernel thread: it has no user address space", r.pid)};
      return false;
    }

    // The PFNs first: the iterator reads their struct pages on its first call.
    std::vector<std::uint64_t> addresses = r.page_addresses;
    std::vector<std::uint64_t> pfns;
    if (!r.pages && !addresses.empty() && r.page_pfns.size() == addresses.size()) {
      if (!calibrated_ && !calibrate(error)) return false;
      pfns = r.page_pfns;
    } else if (r.pages || !addresses.empty()) {
      if (!calibrated_ && !calibrate(error)) return false;
      if (r.pages && !present_pages(r, &addresses, error)) return false;
      Fd pagemap(::open(fmt::format("/proc/{}/pagemap", r.pid).c_str(), O_RDONLY | O_CLOEXEC));
      if (!pagemap) return gone_or(r.pid, pidfd, "cannot open its /proc/PID/pagemap", error);
      std::vector<std::uint64_t> kept;
      for (std::uint64_t a : addresses) {
        std::uint64_t raw = 0;
        if (pread(pagemap.get(), &raw, sizeof raw, off_t(a / 4096 * 8)) != ssize_t(sizeof raw))
          return gone_or(r.pid, pidfd, "cannot read its /proc/PID/pagemap", error);
        PagemapEntry e = decode_pagemap(raw);
        if (!e.present || e.pfn == 0) continue;
        kept.push_back(a);
        pfns.push_back(e.pfn);
      }
      addresses = std::move(kept);
    }

    std::size_t done = 0;
    do {
      std::size_t n = std::min<std::size_t>(pfns.size() - done, RMAPLAB_MAX_PAGES);
      std::copy_n(pfns.begin() + done, n, skel_->bss->pfn_list);
      skel_->bss->npages = std::uint32_t(n);
      page_addresses_.assign(addresses.begin() + done, addresses.begin() + done + n);
      page_pid_ = r.pid;
      pages_seen_ = 0;
      skel_->bss->pages_done = 0;
      // Page batches after the first need no VMAs: an empty range.
      skel_->bss->range_start = done == 0 ? r.start : 0;
      skel_->bss->range_end = done == 0 ? r.end : 0;
      if (!iterate(r.pid, pidfd, error)) return false;
      done += n;
    } while (done < pfns.size());

    // The process must still be there: an exit during the read may have
    // cut the iteration short.
    pollfd p{pidfd.get(), POLLIN, 0};
    if (poll(&p, 1, 0) == 1) {
      *error = {ReadFailure::exited, fmt::format("process {} exited during the read", r.pid)};
      return false;
    }
    return true;
  }

  bool gone_or(int pid, const Fd& pidfd, const char* what, ReadError* error) {
    pollfd p{pidfd.get(), POLLIN, 0};
    if (poll(&p, 1, 0) == 1)
      *error = {ReadFailure::exited, fmt::format("process {} exited during the read", pid)};
    else
      *error = {ReadFailure::other,
                fmt::format("process {}: {}: {}", pid, what, std::strerror(errno))};
    return false;
  }

  // The start of every present page of r's VMAs in [r.start, r.end).
  bool present_pages(const ReadRequest& r, std::vector<std::uint64_t>* out, ReadError* error) {
    auto maps = read_text_file(fmt::format("/proc/{}/maps", r.pid));
    if (!maps.ok()) {
      *error = {ReadFailure::exited, fmt::format("process {} exited during the read", r.pid)};
      return false;
    }
    std::string_view text = *maps;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      auto e = parse_maps_line(text.substr(pos, nl - pos));
      pos = nl + 1;
      if (!e || e->end <= r.start || e->start >= r.end) continue;
      if (e->start >= 0xffffffffff600000ull) continue;  // vsyscall: no pagemap entry
      std::uint64_t s = std::max(e->start, r.start), t = std::min(e->end, r.end);
      for (std::uint64_t a = s & ~std::uint64_t{4095}; a < t; a += 4096) out->push_back(a);
    }
    return true;
  }

  bool iterate(int pid, const Fd& pidfd, ReadError* error) {
    union bpf_iter_link_info info {};
    info.task.pid_fd = std::uint32_t(pidfd.get());
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof info);
    skel_->bss->lost = 0;
    bpf_link* link = bpf_program__attach_iter(skel_->progs.dump_vmas, &opts);
    if (!link) return gone_or(pid, pidfd, "cannot attach the VMA iterator", error);
    Fd iter(bpf_iter_create(bpf_link__fd(link)));
    bool ok = bool(iter);
    char buf[64];
    while (ok) {
      ssize_t n = ::read(iter.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ok = false;
    }
    int saved = errno;
    iter.reset();
    bpf_link__destroy(link);
    if (!ok) {
      errno = saved;
      return gone_or(pid, pidfd, "the VMA iterator failed", error);
    }
    current_pid_ = pid;
    ring_buffer__consume(rb_);
    if (skel_->bss->lost) {
      *error = {ReadFailure::other,
                fmt::format("process {} has more objects than the reader's {} MiB ring buffer "
                            "holds ({} records lost); read less of it with --range",
                            pid, kRingBufferMiB, skel_->bss->lost)};
      return false;
    }
    return true;
  }

  static int on_record(void* ctx, void* data, std::size_t size) {
    static_cast<Reader*>(ctx)->record(data, size);
    return 0;
  }

  void record(const void* data, std::size_t size) {
    std::uint32_t type = 0;
    if (size < sizeof type) return;
    std::memcpy(&type, data, sizeof type);
    switch (type) {
      case RMAPLAB_REC_VMA: {
        rmaplab_rec_vma r;
        if (size < sizeof r) return;
        std::memcpy(&r, data, sizeof r);
        KernelVma& v = vma(r.vma);
        v.pid = current_pid_;
        v.address = r.vma;
        v.mm = r.mm;
        v.start = r.start;
        v.end = r.end;
        v.pgoff = r.pgoff;
        v.flags = r.flags;
        v.anon_vma = r.anon_vma;
        v.truncated = r.truncated != 0;
        break;
      }
      case RMAPLAB_REC_CHAIN: {
        rmaplab_rec_chain r;
        if (size < sizeof r) return;
        std::memcpy(&r, data, sizeof r);
        KernelVma& v = vma(r.vma);
        // Records come in list order; index guards against a repeat.
        if (r.index != v.chain.size()) return;
        v.chain.push_back(r.anon_vma);
        v.chain_avcs.push_back(r.avc);
        break;
      }
      case RMAPLAB_REC_ANON_VMA: {
        rmaplab_rec_anon_vma r;
        if (size < sizeof r) return;
        std::memcpy(&r, data, sizeof r);
        KernelAnonVma& a = anon_vmas_[r.address];
        a.address = r.address;
        a.root = r.root;
        a.parent = r.parent;
        a.refcount = r.refcount;
        a.num_children = r.num_children;
        a.num_active_vmas = r.num_active_vmas;
        a.truncated = r.truncated != 0;
        break;
      }
      case RMAPLAB_REC_TREE: {
        rmaplab_rec_tree r;
        if (size < sizeof r) return;
        std::memcpy(&r, data, sizeof r);
        KernelAnonVma& a = anon_vmas_[r.anon_vma];
        if (r.index != a.tree.size()) return;  // in tree order, each once
        a.tree.push_back({r.avc, r.vma, r.mm, r.vm_start, r.vm_end, r.vm_pgoff});
        break;
      }
      case RMAPLAB_REC_PAGE: {
        rmaplab_rec_page r;
        if (size < sizeof r) return;
        std::memcpy(&r, data, sizeof r);
        std::size_t i = pages_seen_++;
        KernelPage p;
        p.pid = page_pid_;
        p.address = i < page_addresses_.size() ? page_addresses_[i] : 0;
        p.pfn = r.pfn;
        p.page = r.page;
        p.compound = r.compound_head & 1;
        if (!p.compound) {
          p.mapping = r.mapping;
          p.anon_vma = (r.mapping & 1) ? r.mapping & ~std::uint64_t{3} : 0;
          p.index = r.index;
          p.mapcount = r.mapcount;
        }
        out_->pages.push_back(p);
        break;
      }
      default:
        break;
    }
  }

  KernelVma& vma(std::uint64_t address) {
    auto [it, inserted] = vma_index_.try_emplace(address, out_->vmas.size());
    if (inserted) out_->vmas.emplace_back().address = address;
    return out_->vmas[it->second];
  }

  // Learns vmemmap_base: see the file comment.
  bool calibrate(ReadError* error) {
    constexpr int kPages = 4;
    void* mem =
        mmap(nullptr, kPages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      *error = {ReadFailure::other,
                fmt::format("cannot map pages to learn vmemmap_base: {}", std::strerror(errno))};
      return false;
    }
    madvise(mem, kPages * 4096, MADV_NOHUGEPAGE);
    auto* bytes = static_cast<volatile char*>(mem);
    bytes[0] = 1;  // the page table
    bpf_link* link = bpf_program__attach(skel_->progs.page_alloc);
    std::map<std::uint64_t, int> votes;
    Fd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (link && pagemap) {
      for (int i = 1; i < kPages; i++) {
        skel_->bss->calib_count = 0;
        __atomic_store_n(&skel_->bss->calib_tid, std::uint32_t(gettid()), __ATOMIC_SEQ_CST);
        bytes[i * 4096] = 1;
        __atomic_store_n(&skel_->bss->calib_tid, 0u, __ATOMIC_SEQ_CST);
        std::uint64_t raw = 0;
        auto va = reinterpret_cast<std::uintptr_t>(mem) + std::uintptr_t(i) * 4096;
        if (pread(pagemap.get(), &raw, sizeof raw, off_t(va / 4096 * 8)) != ssize_t(sizeof raw))
          continue;
        PagemapEntry e = decode_pagemap(raw);
        std::uint64_t size = skel_->bss->page_struct_size;
        if (!e.present || !size) continue;
        std::uint32_t seen = std::min<std::uint32_t>(skel_->bss->calib_count, 8);
        for (std::uint32_t k = 0; k < seen; k++) votes[skel_->bss->calib_pages[k] - e.pfn * size]++;
      }
    }
    if (link) bpf_link__destroy(link);
    munmap(mem, kPages * 4096);
    for (auto& [base, n] : votes)
      if (n >= 2) {
        skel_->bss->vmemmap_base = base;
        calibrated_ = true;
        return true;
      }
    *error = {ReadFailure::no_btf,
              link ? "cannot learn where the kernel's struct pages are (vmemmap_base): the page "
                     "allocations seen did not agree with /proc/self/pagemap"
                   : "the kernel refused the mm_page_alloc raw tracepoint the reader needs to "
                     "find struct pages"};
    return false;
  }

  object_reader* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  bool calibrated_ = false;
  ObjectDump* out_ = nullptr;
  int current_pid_ = 0;
  std::unordered_map<std::uint64_t, std::size_t> vma_index_;
  std::unordered_map<std::uint64_t, KernelAnonVma> anon_vmas_;
  std::vector<std::uint64_t> page_addresses_;
  std::size_t pages_seen_ = 0;
  int page_pid_ = 0;
};

std::mutex reader_mutex;
Reader* reader = nullptr;
ReadError load_error;
bool load_tried = false;

// The loaded reader, or nullptr with *error filled. Callers hold reader_mutex.
Reader* shared_reader(ReadError* error) {
  if (!load_tried) {
    load_tried = true;
    auto r = std::make_unique<Reader>();
    if (r->load(&load_error)) reader = r.release();  // kept for the process's life
  }
  if (!reader) *error = load_error;
  return reader;
}

}  // namespace

bool read_objects(const std::vector<ReadRequest>& requests, ObjectDump* out, ReadError* error) {
  std::lock_guard lock(reader_mutex);
  Reader* r = shared_reader(error);
  return r && r->read(requests, out, error);
}

bool object_reader_available(ReadError* why) {
  std::lock_guard lock(reader_mutex);
  return shared_reader(why) != nullptr;
}

void preload_object_reader() {
  // Joined at exit: a load outliving main would race the statics it fills.
  struct Loader {
    std::thread thread{[] {
      std::lock_guard lock(reader_mutex);
      ReadError ignored;
      shared_reader(&ignored);
    }};
    ~Loader() { thread.join(); }
  };
  static Loader loader;
}

#endif
}  // namespace rmaplab::kernel
