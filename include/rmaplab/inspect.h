// How `rmaplab inspect` shows the kernel objects one read found
// (src/report/inspect.cc).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "rmaplab/kernel_objects.h"

namespace rmaplab::report {

// {"vmas": [{"pid", "start", "end", "pgoff", "flags", "anon_vma", "chain"}],
//  "anon_vmas": [{"address", "root", "parent", "refcount", "num_children",
//                 "num_active_vmas", "tree": [{"vma_start", "pgoff_first",
//                 "pgoff_last"}]}]}; addresses as hex strings, null for none.
nlohmann::json inspect_json(const kernel::ObjectDump& dump);
// [{"address", "pfn", "anon_vma", "index", "mapcount"}] (a tail page of a
// large folio: {"address", "pfn", "compound": true}).
nlohmann::json inspect_pages_json(const kernel::ObjectDump& dump);
// The VMAs, the anon_vmas (named av1, av2, ... in address order) and, with
// pages, the folios.
std::string inspect_table(const kernel::ObjectDump& dump, bool pages);
// The forest as Graphviz DOT, in the vocabulary of state_dot.
std::string inspect_dot(const kernel::ObjectDump& dump, const std::string& title);

}  // namespace rmaplab::report
