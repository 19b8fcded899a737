// Options every subcommand shares: numbers checked against their range with
// one sentence, the limits themselves, and what happens when standard
// output cannot be written.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "rmaplab/report.h"

namespace rmaplab::cli {

// Operations in one generated script, at most (gen --ops, verify --ops):
// a million runs in about a second in the model.
inline constexpr int kMaxOps = 1'000'000;
// Processes alive at once in a generated script, at most.
inline constexpr int kMaxProcs = 64;

// What a subcommand exits with when its output could not be written (a full
// disk, a closed pipe, /dev/full): the command could not do what it was
// asked, as with a usage error.
inline constexpr ExitCode kWriteFailed = ExitCode::output_failed;

// The text of a number option, read strictly: decimal digits only for a
// whole number (no sign, no wrap-around at 2^64), a plain decimal for a real
// one. nullopt: not such a number, or too large for the type.
std::optional<std::uint64_t> parse_whole(std::string_view text);
std::optional<double> parse_real(std::string_view text);

// "--seed must be a whole number from 0 to 18446744073709551615, not '-1'"
std::string range_sentence(std::string_view option, std::string_view text, std::string_view kind,
                           std::string_view min, std::string_view max);

// Declares the number option `name` (e.g. "--ops", or "page" for a
// positional) whose value must lie in [min, max] (min >= 0: counts, seeds,
// lines, pages); `set` receives it. Any
// other text fails the command line with range_sentence() as the usage
// error. --help shows `shown_default`, if given, as the default.
template <class T>
CLI::Option* add_number_option(CLI::App& app, const std::string& name, std::function<void(T)> set,
                               T min, T max, const std::string& description,
                               std::optional<T> shown_default = std::nullopt) {
  static_assert(std::is_arithmetic_v<T>);
  auto callback = [=](const std::string& text) {
    bool fits = false;
    T value{};
    if constexpr (std::is_floating_point_v<T>) {
      if (auto v = parse_real(text); v && *v >= min && *v <= max) {
        value = static_cast<T>(*v);
        fits = true;
      }
    } else {
      if (auto v = parse_whole(text);
          v && *v >= static_cast<std::uint64_t>(min) && *v <= static_cast<std::uint64_t>(max)) {
        value = static_cast<T>(*v);
        fits = true;
      }
    }
    if (!fits)
      throw CLI::ValidationError(
          range_sentence(name, text, std::is_floating_point_v<T> ? "a number" : "a whole number",
                         fmt::format("{}", min), fmt::format("{}", max)));
    set(value);
  };
  CLI::Option* opt = app.add_option_function<std::string>(name, callback, description);
  if (shown_default) opt->default_str(fmt::format("{}", *shown_default));
  return opt;
}

template <class T>
CLI::Option* add_number_option(CLI::App& app, const std::string& name, T& value, T min, T max,
                               const std::string& description, bool show_default = false) {
  return add_number_option<T>(app, name, std::function<void(T)>([&value](T v) { value = v; }), min,
                              max, description,
                              show_default ? std::optional<T>(value) : std::nullopt);
}

// --seed N, any 64-bit value; `given` records that the user chose one (gen
// and fuzz otherwise pick a random seed and print it).
inline CLI::Option* add_seed_option(CLI::App& app, std::uint64_t& seed, bool& given,
                                    const std::string& description) {
  return add_number_option<std::uint64_t>(
             app, "--seed",
             [&seed, &given](std::uint64_t s) {
               seed = s;
               given = true;
             },
             0, std::numeric_limits<std::uint64_t>::max(), description)
      ->type_name("N");
}

// Flushes standard output at the end of `command` ("gen", "show", ...). If
// anything written to it was lost, says so on stderr and returns
// kWriteFailed; otherwise `code`.
ExitCode finish_output(std::string_view command, ExitCode code);

}  // namespace rmaplab::cli
