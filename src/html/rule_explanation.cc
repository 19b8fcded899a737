// What each rule demands, in one sentence, for the page's violation panel.
// The rules are the checker's (src/check/check.h names and orders them); a
// model function's guard (src/model/rule.h) is named by what it caught.
#include <string_view>
#include <utility>

#include "rmaplab/html.h"

namespace rmaplab {

std::string rule_explanation(std::string_view rule) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {"L1",
       "Between operations no anon_vma root's rwsem may still be held: every path that "
       "takes it drops it."},
      {"I12",
       "Once every process has exited nothing may be left: no anon_vma, AVC, VMA or "
       "folio."},
      {"B1",
       "Each address space's VMAs are non-empty, ordered by start, do not overlap and "
       "belong to that mm."},
      {"I9",
       "The anon_vmas form a forest: a root is its own root and parent, and following "
       "parents from any anon_vma reaches its live root within one family."},
      {"I1", "A VMA has an anon_vma exactly when its anon_vma_chain is non-empty."},
      {"I2",
       "A VMA's chain holds one AVC for its own anon_vma and never the same anon_vma "
       "twice."},
      {"I3",
       "Every AVC on a chain names its VMA and a live anon_vma, and sits in that "
       "anon_vma's interval tree at the VMA's current page offsets."},
      {"I4",
       "All anon_vmas on one chain share a root, and the chain holds each one's parent "
       "too."},
      {"I5", "A chain lists each anon_vma before its parent, with the root last."},
      {"I11", "VMAs of one process that share an anon_vma carry the same set of anon_vmas."},
      {"I6",
       "num_active_vmas counts exactly the VMAs whose anon_vma this is: it decides "
       "whether fork may reuse it."},
      {"I7",
       "num_children counts the children whose tree is non-empty, plus one for a "
       "root's own link while its tree is non-empty."},
      {"I8",
       "refcount is one while the tree is non-empty, plus, for a root, one per "
       "allocated non-root member of its family."},
      {"B3",
       "A PTE's folio suits its VMA: a private VMA maps the zero page or an anonymous "
       "folio (and then has an anon_vma), a shared one its object's page."},
      {"I10",
       "Every mapped anonymous folio's anon_vma is alive and its rmap walk finds every "
       "process and page that maps it."},
      {"B2", "A folio's mapcount equals the PTEs that map it."},
  };
  const std::string_view id = rule.substr(0, rule.find(' '));
  for (const auto& [name, text] : kRules)
    if (name == id) return std::string(text);
  // A model function's guard: its name says what it caught.
  if (rule.find("underflow") != std::string_view::npos)
    return "A counter went below zero: something was put or detached more often than it was "
           "taken or attached.";
  if (rule.find("twice") != std::string_view::npos ||
      rule.find("not held") != std::string_view::npos)
    return "A lock or an object was taken, released or freed one time too many.";
  if (rule.find("freed") != std::string_view::npos)
    return "An object was freed while something still refers to it: a use after free in the "
           "kernel.";
  return "";
}

}  // namespace rmaplab
