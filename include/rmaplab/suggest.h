// "Did you mean": how far a word is from a word it may be a typo of.
//
// One distance for the whole program: the parser's hints for misspelt verbs,
// protections and advice, and the command line's for subcommands, options
// and profiles.
#pragma once

#include <cstddef>
#include <string_view>

namespace rmaplab {

// Optimal-string-alignment distance between `a` and `b`: insertions,
// deletions, substitutions and swaps of two adjacent characters (the
// commonest typo) cost one each. ASCII letters compare case-insensitively,
// since every word rmaplab suggests is lower case.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace rmaplab
