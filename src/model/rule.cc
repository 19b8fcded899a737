// RuleBroken and the one place the model's rule checks throw from.
#include "model/rule.h"

namespace rmaplab::model {

RuleBroken::RuleBroken(std::string rule_name, std::string text)
    : rule(std::move(rule_name)), message(std::move(text)), what_(rule + ": " + message) {}

void rule_broken(std::string_view rule, std::string message) {
  throw RuleBroken(std::string(rule), std::move(message));
}

}  // namespace rmaplab::model
