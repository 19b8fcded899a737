// `rmaplab inspect`'s output: the kernel objects one read found
// (rmaplab/kernel_objects.h) as a table, JSON, or a Graphviz picture in the
// visual vocabulary of `show` (dot.cc): a cluster per process, a box per VMA,
// an ellipse per anon_vma with its counters, numbered edges for the chain in
// list order (bold: the VMA's own anon_vma), dashed parent edges.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "rmaplab/inspect.h"

namespace rmaplab::report {
namespace {

std::string hex(std::uint64_t a) { return fmt::format("{:#x}", a); }

nlohmann::json hex_or_null(std::uint64_t a) {
  return a ? nlohmann::json(hex(a)) : nlohmann::json(nullptr);
}

// "rw-p"-like letters of the vm_flags bits VM_READ, VM_WRITE, VM_EXEC, VM_SHARED.
std::string prot(std::uint64_t flags) {
  std::string s = "----";
  if (flags & 0x1) s[0] = 'r';
  if (flags & 0x2) s[1] = 'w';
  if (flags & 0x4) s[2] = 'x';
  s[3] = (flags & 0x8) ? 's' : 'p';
  return s;
}

// A short name for each anon_vma: av1, av2, ... in address order.
std::string av_name(const kernel::ObjectDump& d, std::uint64_t address) {
  for (std::size_t i = 0; i < d.anon_vmas.size(); i++)
    if (d.anon_vmas[i].address == address) return fmt::format("av{}", i + 1);
  return hex(address);
}

}  // namespace

nlohmann::json inspect_json(const kernel::ObjectDump& d) {
  nlohmann::json vmas = nlohmann::json::array();
  for (const kernel::KernelVma& v : d.vmas) {
    nlohmann::json chain = nlohmann::json::array();
    for (std::uint64_t a : v.chain) chain.push_back(hex(a));
    vmas.push_back({{"pid", v.pid},
                    {"start", hex(v.start)},
                    {"end", hex(v.end)},
                    {"pgoff", v.pgoff},
                    {"flags", hex(v.flags)},
                    {"anon_vma", hex_or_null(v.anon_vma)},
                    {"chain", chain}});
    if (v.truncated) vmas.back()["chain_truncated"] = true;
  }
  nlohmann::json avs = nlohmann::json::array();
  for (const kernel::KernelAnonVma& a : d.anon_vmas) {
    nlohmann::json tree = nlohmann::json::array();
    for (const kernel::TreeMember& m : a.tree)
      tree.push_back({{"vma_start", hex(m.vm_start)},
                      {"pgoff_first", m.pgoff_first()},
                      {"pgoff_last", m.pgoff_last()}});
    avs.push_back({{"address", hex(a.address)},
                   {"root", hex_or_null(a.root)},
                   {"parent", hex_or_null(a.parent)},
                   {"refcount", a.refcount},
                   {"num_children", a.num_children},
                   {"num_active_vmas", a.num_active_vmas},
                   {"tree", tree}});
    if (a.truncated) avs.back()["tree_truncated"] = true;
  }
  nlohmann::json doc = {{"vmas", vmas}, {"anon_vmas", avs}};
  return doc;
}

nlohmann::json inspect_pages_json(const kernel::ObjectDump& d) {
  nlohmann::json pages = nlohmann::json::array();
  for (const kernel::KernelPage& p : d.pages) {
    nlohmann::json j = {{"address", hex(p.address)}, {"pfn", p.pfn}};
    if (p.compound) {
      j["compound"] = true;
    } else {
      j["anon_vma"] = hex_or_null(p.anon_vma);
      j["index"] = p.index;
      j["mapcount"] = p.mapcount;
    }
    pages.push_back(std::move(j));
  }
  return pages;
}

std::string inspect_table(const kernel::ObjectDump& d, bool pages) {
  std::string out;
  out += fmt::format("{:>7}  {:>14}  {:>14}  {:>10}  {:4}  {:>8}  {}\n", "pid", "start", "end",
                     "pgoff", "prot", "anon_vma", "chain (list order)");
  for (const kernel::KernelVma& v : d.vmas) {
    std::string chain;
    for (std::uint64_t a : v.chain) chain += (chain.empty() ? "" : " ") + av_name(d, a);
    if (v.truncated) chain += " ...";
    out += fmt::format("{:>7}  {:>14x}  {:>14x}  {:>10x}  {:4}  {:>8}  {}\n", v.pid, v.start, v.end,
                       v.pgoff, prot(v.flags), v.anon_vma ? av_name(d, v.anon_vma) : "-", chain);
  }
  out += fmt::format("\n{:>5}  {:>18}  {:>5}  {:>6}  {:>8}  {:>12}  {:>15}  {}\n", "name",
                     "address", "root", "parent", "refcount", "num_children", "num_active_vmas",
                     "tree (vma start [pgoff range])");
  for (std::size_t i = 0; i < d.anon_vmas.size(); i++) {
    const kernel::KernelAnonVma& a = d.anon_vmas[i];
    std::string tree;
    for (const kernel::TreeMember& m : a.tree)
      tree += fmt::format("{}{:x} [{:#x},{:#x}]", tree.empty() ? "" : " ", m.vm_start,
                          m.pgoff_first(), m.pgoff_last());
    if (a.truncated) tree += " ...";
    out += fmt::format("{:>5}  {:>18}  {:>5}  {:>6}  {:>8}  {:>12}  {:>15}  {}\n",
                       fmt::format("av{}", i + 1), hex(a.address), av_name(d, a.root),
                       a.parent ? av_name(d, a.parent) : "-", a.refcount, a.num_children,
                       a.num_active_vmas, tree);
  }
  if (pages) {
    out += fmt::format("\n{:>7}  {:>14}  {:>10}  {:>8}  {:>10}  {}\n", "pid", "address", "pfn",
                       "anon_vma", "index", "mapcount");
    for (const kernel::KernelPage& p : d.pages) {
      if (p.compound) {
        out += fmt::format("{:>7}  {:>14x}  {:>10x}  (a tail page of a large folio)\n", p.pid,
                           p.address, p.pfn);
        continue;
      }
      out += fmt::format("{:>7}  {:>14x}  {:>10x}  {:>8}  {:>10x}  {}\n", p.pid, p.address, p.pfn,
                         p.anon_vma ? av_name(d, p.anon_vma) : "-", p.index, p.mapcount);
    }
  }
  return out;
}

std::string inspect_dot(const kernel::ObjectDump& d, const std::string& title) {
  std::string out = "digraph rmaplab {\n";
  out += fmt::format("  label=\"{}\";\n  labelloc=t;\n  rankdir=LR;\n", title);
  out += "  node [fontname=\"monospace\", fontsize=10];\n";
  out += "  edge [fontname=\"monospace\", fontsize=9];\n";
  std::string edges;
  int pid = -1;
  for (std::size_t i = 0; i < d.vmas.size(); i++) {
    const kernel::KernelVma& v = d.vmas[i];
    if (v.pid != pid) {
      if (pid != -1) out += "  }\n";
      pid = v.pid;
      out += fmt::format("  subgraph cluster_{} {{\n    label=\"pid {}\";\n", pid, pid);
    }
    // Only VMAs with an anon_vma chain are drawn: the rest have no rmap objects.
    if (v.chain.empty()) continue;
    out += fmt::format("    vma{} [shape=box, label=\"[{:#x},{:#x}) {}\\npgoff {:#x}\"];\n", i,
                       v.start, v.end, prot(v.flags), v.pgoff);
    int position = 0;
    for (std::uint64_t a : v.chain)
      edges += fmt::format("  vma{} -> {} [label=\"{}\"{}];\n", i, av_name(d, a), ++position,
                           a == v.anon_vma ? ", style=bold, penwidth=2" : "");
  }
  if (pid != -1) out += "  }\n";
  for (std::size_t i = 0; i < d.anon_vmas.size(); i++) {
    const kernel::KernelAnonVma& a = d.anon_vmas[i];
    std::string label = fmt::format("anon_vma {}", hex(a.address));
    label += a.root == a.address ? " (root)" : fmt::format("\\nroot {}", av_name(d, a.root));
    label += fmt::format("\\nrefcount {}\\nnum_children {}\\nnum_active_vmas {}\\n{} in tree",
                         a.refcount, a.num_children, a.num_active_vmas, a.tree.size());
    out += fmt::format("  av{} [shape=ellipse, label=\"{}\"];\n", i + 1, label);
    if (a.parent && a.parent != a.address)
      edges += fmt::format("  av{} -> {} [style=dashed, label=\"parent\"];\n", i + 1,
                           av_name(d, a.parent));
  }
  out += edges;
  out += "}\n";
  return out;
}

}  // namespace rmaplab::report
