// run --fail-each, in text and JSON.
#include <fmt/format.h>

#include "rmaplab/fuzz.h"
#include "rmaplab/report.h"

namespace rmaplab::report {

std::string fail_each_text(std::string_view file, const FailEachReport& r) {
  std::string out =
      fmt::format("{}: {} allocation point{}, one run each with that allocation failing\n", file,
                  r.allocations, r.allocations == 1 ? "" : "s");
  out += fmt::format("{:>5}  {:>4}  {:<24}  {:<6}  {:<12}  {}\n", "alloc", "line", "operation",
                     "result", "6.18 returns", "after");
  int failed = 0;
  for (const FailPoint& p : r.points) {
    std::string after = p.problem ? "FAIL" : "ok";
    if (p.skipped) after += fmt::format(", {} ops skipped", p.skipped);
    if (p.killed) after += fmt::format(", {} killed", p.killed);
    out += fmt::format("{:>5}  {:>4}  {:<24}  {:<6}  {:<12}  {}\n", p.k, p.line, p.op, p.result,
                       p.expected, after);
    if (p.problem) {
      out += fmt::format("       {}\n", *p.problem);
      ++failed;
    }
  }
  if (failed)
    out += fmt::format("{} of {} allocation points FAILED\n", failed, r.allocations);
  else
    out += fmt::format(
        "all {} passed: each failing operation returned what 6.18 returns, the checker held after "
        "every operation, and once every process had exited nothing was left\n",
        r.allocations);
  return out;
}

nlohmann::json fail_each_json(const FailEachReport& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const FailPoint& p : r.points)
    points.push_back({{"k", p.k},
                      {"line", p.line},
                      {"op", p.op},
                      {"result", p.result},
                      {"expected", p.expected},
                      {"skipped", p.skipped},
                      {"killed", p.killed},
                      {"problem", p.problem ? nlohmann::json(*p.problem) : nlohmann::json()}});
  return {{"allocations", r.allocations}, {"passed", r.passed()}, {"points", points}};
}

void Reporter::fail_each(const Script& script, const FailEachReport& r) {
  write(out_, format_ == Format::json ? fail_each_json(r).dump(2) : fail_each_text(script.file, r));
}

}  // namespace rmaplab::report
