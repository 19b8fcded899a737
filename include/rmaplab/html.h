// `rmaplab report`: one self-contained HTML page of a run (src/html).
//
// The page holds no full state per operation: the library replays the run
// through the driver (Simulation) and, after each operation, reads through
// the read-only State view what the operation could have changed (the
// processes it acted on) and writes only what did change: a process, a
// VMA, an anon_vma or, with folios, a present page, as its new value. The
// page's script replays those changes (keeping what each replaced, to step
// back) to draw the state after any operation as SVG, so its memory follows
// the run's changes, not operations x state.
//
// With two profiles both runs are replayed side by side and the first
// divergence (src/diff's compare_profiles) is marked; with the kernel, the
// verify comparison (src/verify) of each operation sits beside the model's.
// Styles, script and data are inline: the page needs no network.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "rmaplab/run.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {

namespace model {
struct Profile;
}

struct HtmlOptions {
  // One or two rule sets; empty: linux-6.18.
  std::vector<const model::Profile*> profiles;
  bool folios = false;  // draw each VMA's present pages and their folios
  bool kernel = false;  // run the script on the kernel too (root) and show the comparison
};

// What the page shows, for the command's exit code and message.
struct HtmlSummary {
  std::size_t operations = 0;          // operations replayed (of the first profile)
  std::optional<Violation> violation;  // the first profile's, if a rule broke
  std::string script_error;            // a script error found while running, or ""
  bool profiles_differ = false;        // two profiles and they diverge
  std::size_t kernel_differences = 0;  // operations where model and kernel differ
  std::string kernel_error;            // the kernel could not be observed, or ""
};

// Writes the page for `script` to `out`. An Error is one the page cannot be
// made for (the kernel asked for and unobservable is not one: the page says
// so and HtmlSummary::kernel_error carries it).
Result<HtmlSummary> write_html_report(const Script& script, const HtmlOptions& options,
                                      std::ostream& out);

// One sentence on what a checker rule ("I6 num_active_vmas") or a model
// guard demands, for showing beside a violation; "" for an unknown rule.
std::string rule_explanation(std::string_view rule);

}  // namespace rmaplab
