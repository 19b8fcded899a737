// The model's rules: the preconditions its operations rely on (a counter
// never underflows, a root rwsem is never taken twice, a freed object is
// unlinked). A broken rule is a bug in the model or in a profile's rule set,
// never an expected outcome, so it is not a return value: it throws
// RuleBroken, which the run driver turns into "rule, operation, object" and
// exit code 1.
//
// The check stays in every build, NDEBUG or not (the release preset and the
// fuzzers define it, and they are where the model runs most). In the hot
// path it is one branch the compiler is told is not taken; formatting the
// message happens only on the cold, out-of-line failure path.
//
//   MODEL_RULE(av->num_active_vmas_ > 0, "num_active_vmas underflow",
//              "VMA #{} detaches from anon_vma #{}, whose num_active_vmas is already 0.",
//              vma->id, av->id_);
//
// `rule` names what is guarded, the kernel's VM_WARN_ON/VM_BUG_ON where the
// model guards one; the message (fmt syntax) is one sentence naming the
// object. A guard that would cost more than O(log n) stays out of the
// release build and says why where it is written.
#pragma once

#include <fmt/format.h>

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace rmaplab::model {

class RuleBroken : public std::exception {
 public:
  RuleBroken(std::string rule, std::string message);
  // "rule: message".
  const char* what() const noexcept override { return what_.c_str(); }

  const std::string rule;     // "num_active_vmas underflow"
  const std::string message;  // "VMA #5 detaches from anon_vma #3, whose num_active_vmas is ..."

 private:
  std::string what_;
};

// Throws RuleBroken{rule, message}. Out of line and cold, so a guard's
// failure path costs the hot path nothing but the branch.
[[noreturn, gnu::cold]] void rule_broken(std::string_view rule, std::string message);

namespace detail {

template <class... Args>
[[noreturn, gnu::cold, gnu::noinline]] void break_rule(std::string_view rule,
                                                       fmt::format_string<Args...> format,
                                                       Args&&... args) {
  rule_broken(rule, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace detail
}  // namespace rmaplab::model

// Checks `cond` in every build; when it is false, throws RuleBroken naming
// `rule`, with the message formatted from the remaining arguments.
#define MODEL_RULE(cond, rule, ...)                              \
  do {                                                           \
    if (!(cond)) [[unlikely]]                                    \
      ::rmaplab::model::detail::break_rule((rule), __VA_ARGS__); \
  } while (false)
