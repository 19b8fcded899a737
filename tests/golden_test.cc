// Golden tests of the examples: the model, through `rmaplab run --json`,
// against numbers measured on the running kernel.
//
//   Expected.Kernel   examples/NAME.expected.json, written by the kernel
//                     runner (`rmaplab verify --kernel-only --json`), never
//                     by the model: per operation (line, result, the four
//                     counters; where they agree, the events in order with
//                     call site and object id) and the live totals at the end.
//   Expected.Comments the counts each example's trailing comments give,
//                     `... [ERRNO] -> (anon_vma alloc, free, AVC alloc, free)`,
//                     measured on Linux 6.18.44 (examples/README.md).
//
// A failure lists every line that differs, as
//   examples/03-fork.rml:20 'P fork C': model ok (1,0,2,0), kernel ok (1,0,3,0)
// A difference is a model bug (or a stale example), not a test to re-bless.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "rmaplab/script.h"

namespace rmaplab::test {
namespace {

using nlohmann::json;

struct Counts {
  std::string result = "ok";
  int c[4] = {0, 0, 0, 0};
  bool operator==(const Counts& o) const {
    return result == o.result && std::equal(std::begin(c), std::end(c), std::begin(o.c));
  }
  std::string str() const {
    return fmt::format("{} ({},{},{},{})", result, c[0], c[1], c[2], c[3]);
  }
};

Counts counts_of(const json& op) {
  Counts k;
  k.result = op.at("result").get<std::string>();
  k.c[0] = op.at("anon_vma_alloc").get<int>();
  k.c[1] = op.at("anon_vma_free").get<int>();
  k.c[2] = op.at("avc_alloc").get<int>();
  k.c[3] = op.at("avc_free").get<int>();
  return k;
}

// "alloc anon_vma #1 in __anon_vma_prepare, ..."
std::string events_of(const json& op) {
  std::string out;
  for (const json& e : op.at("events"))
    out += fmt::format("{}{} {} #{} in {}", out.empty() ? "" : ", ", e.at("op").get<std::string>(),
                       e.at("kind").get<std::string>(), e.at("id").get<int>(),
                       e.at("site").get<std::string>());
  return out;
}

std::string source_relative(const std::filesystem::path& p) {
  return std::filesystem::relative(p, source_dir()).string();
}

class Example : public ::testing::TestWithParam<std::filesystem::path> {
 protected:
  // The model's document and the script's operation texts, or a failure.
  std::optional<json> model() {
    const auto r = run_cli({"run", "--json", source_relative(GetParam())});
    if (r.exit_code != 0) {
      ADD_FAILURE() << "rmaplab run failed (exit " << r.exit_code << "): " << r.err;
      return std::nullopt;
    }
    return json::parse(r.out);
  }
};

TEST_P(Example, Kernel) {
  auto expected_path = GetParam();
  expected_path.replace_extension(".expected.json");
  if (!std::filesystem::exists(expected_path))
    GTEST_SKIP() << source_relative(expected_path) << " has not been recorded from a kernel yet";
  const json kernel = json::parse(slurp(expected_path));
  const auto doc = model();
  if (!doc) return;
  const std::string file = source_relative(GetParam());

  std::string diff;
  const json& m_ops = (*doc)["ops"];
  const json& k_ops = kernel["ops"];
  if (m_ops.size() != k_ops.size())
    diff += fmt::format("  {} operations in the model, {} in {}\n", m_ops.size(), k_ops.size(),
                        source_relative(expected_path));
  for (std::size_t i = 0; i < std::min(m_ops.size(), k_ops.size()); ++i) {
    const int line = m_ops[i]["line"].get<int>();
    if (k_ops[i]["line"].get<int>() != line) {
      diff += fmt::format("  operation {}: model line {}, kernel line {}\n", i + 1, line,
                          k_ops[i]["line"].get<int>());
      continue;
    }
    const Counts m = counts_of(m_ops[i]), k = counts_of(k_ops[i]);
    const std::string op = m_ops[i]["op"].get<std::string>();
    if (!(m == k)) {
      diff += fmt::format("  {}:{} '{}': model {}, kernel {}\n", file, line, op, m.str(), k.str());
    } else if (k_ops[i].contains("events")) {
      // Same counts: then the same allocations and frees, in the same order,
      // from the same call sites, of the same objects.
      const std::string me = events_of(m_ops[i]), ke = events_of(k_ops[i]);
      if (me != ke)
        diff += fmt::format("  {}:{} '{}': events differ: model [{}], kernel [{}]\n", file, line,
                            op, me, ke);
    }
  }
  const json &ml = (*doc)["live"], &kl = kernel["live"];
  if (ml != kl)
    diff +=
        fmt::format("  live at the end: model {} anon_vma, {} AVC; kernel {} anon_vma, {} AVC\n",
                    ml["anon_vma"].get<int>(), ml["avc"].get<int>(), kl["anon_vma"].get<int>(),
                    kl["avc"].get<int>());
  EXPECT_EQ(diff, "") << file << ": the model disagrees with the kernel ("
                      << source_relative(expected_path) << "):\n"
                      << diff;
}

// "... -> (0,0,0,0)" at the end of a comment: the expected counts of that
// line; an errno name anywhere in the comment ("...: ENOMEM; [8,12)
// unchanged -> (0,0,0,0)") is the expected result.
std::optional<Counts> comment_counts(const std::string& line) {
  static const std::regex counts(R"(->\s*\((\d+),\s*(\d+),\s*(\d+),\s*(\d+)\)\s*$)");
  static const std::regex error(R"(\b(E[A-Z][A-Z0-9]+)\b)");
  const auto hash = line.find('#');
  if (hash == std::string::npos) return std::nullopt;
  const std::string comment = line.substr(hash);
  std::smatch m;
  if (!std::regex_search(comment, m, counts)) return std::nullopt;
  Counts c;
  for (int i = 0; i < 4; ++i) c.c[i] = std::stoi(m[i + 1]);
  std::smatch e;
  if (std::regex_search(comment, e, error)) c.result = e[1];
  return c;
}

TEST_P(Example, Comments) {
  const std::string text = slurp(GetParam());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  const auto doc = model();
  if (!doc) return;
  const std::string file = source_relative(GetParam());

  std::string diff;
  int compared = 0;
  for (const json& op : (*doc)["ops"]) {
    const int line = op["line"].get<int>();
    const auto expected = comment_counts(lines.at(static_cast<std::size_t>(line - 1)));
    if (!expected) continue;
    ++compared;
    const Counts got = counts_of(op);
    if (!(got == *expected))
      diff += fmt::format("  {}:{} '{}': model {}, comment (kernel) {}\n", file, line,
                          op["op"].get<std::string>(), got.str(), expected->str());
  }
  if (compared == 0) GTEST_SKIP() << file << " gives no counts in its comments";
  EXPECT_EQ(diff, "") << file << ": the model disagrees with the counts in its comments:\n" << diff;
}

std::string test_name(const ::testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Examples, Example, ::testing::ValuesIn(examples()), test_name);

TEST(CommentCounts, Parsing) {
  auto c = comment_counts("P fork C  # clone -> (1,0,2,0)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "ok (1,0,2,0)");
  c = comment_counts("P mremap 0 6 0 10  # no room: ENOMEM -> (0,0,0,0)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "ENOMEM (0,0,0,0)");
  c = comment_counts("P mprotect 0 12 r  # the hole: ENOMEM; [8,12) unchanged -> (0,0,0,0)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "ENOMEM (0,0,0,0)");
  c = comment_counts("C exit  # C -> G exiting -> (0,1,0,3)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "ok (0,1,0,3)");
  EXPECT_FALSE(comment_counts("P write 0  # no counts here"));
  EXPECT_FALSE(comment_counts("P write 0"));
}

}  // namespace
}  // namespace rmaplab::test
