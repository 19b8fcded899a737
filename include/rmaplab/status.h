// Expected failures as values.
//
// A script error, a system-call-level refusal of the CLI's input, or a kernel
// that cannot be observed is not a bug: functions that can meet one return
// Result<T> (or Status), whose error is one complete sentence that already
// carries its context (file:line:column, operation, object). Broken model
// invariants are bugs and are reported by the checker (check.h), not here.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rmaplab {

struct Error {
  std::string message;  // one sentence, with its context, no trailing newline
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace rmaplab
