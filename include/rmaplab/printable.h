// Text the user gave us (file names, process names from the command line),
// as it is shown back in a message.
#pragma once

#include <string>
#include <string_view>

namespace rmaplab {

// `text` with every byte that could move the cursor or start a terminal
// escape written as \xNN: C0 controls (tab and newline included), DEL, the
// C1 controls (U+0080..U+009F, an 8-bit CSI among them) and bytes that are
// not well-formed UTF-8. Everything else, other scripts included, is kept.
std::string printable(std::string_view text);

}  // namespace rmaplab
