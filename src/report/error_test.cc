// error_json(): an error as the JSON document --json readers get.
#include <gtest/gtest.h>

#include <sstream>

#include "rmaplab/report.h"

namespace rmaplab::report {
namespace {

using nlohmann::json;

TEST(ErrorJson, AScriptErrorCarriesItsLocation) {
  const json e = error_json("ex.rml:3:7: unknown operation 'wrte' (did you mean 'write'?)");
  EXPECT_EQ(e, json::parse(R"json({"error": {
      "message": "ex.rml:3:7: unknown operation 'wrte' (did you mean 'write'?)",
      "file": "ex.rml", "line": 3, "column": 7}})json"));
}

TEST(ErrorJson, AFileNameMayHoldColons) {
  const json e = error_json("dir:a/x.rml:12:1: line is 5000 bytes; the limit is 4096");
  EXPECT_EQ(e["error"]["file"], "dir:a/x.rml");
  EXPECT_EQ(e["error"]["line"], 12);
  EXPECT_EQ(e["error"]["column"], 1);
}

TEST(ErrorJson, ALineWithoutAColumn) {
  const json e = error_json("x.rml:5: invariant I6 num_active_vmas broken after 'P fork C': ...");
  EXPECT_EQ(e["error"]["file"], "x.rml");
  EXPECT_EQ(e["error"]["line"], 5);
  EXPECT_TRUE(e["error"]["column"].is_null());
}

TEST(ErrorJson, NoLocation) {
  for (const char* sentence : {"rmaplab diff: give two profiles: --profile A --profile B",
                               "cannot read 'x.rml': No such file or directory",
                               "rmaplab: unknown profile 'x'", ":3: x"}) {
    const json e = error_json(sentence);
    EXPECT_EQ(e["error"]["message"], sentence);
    EXPECT_TRUE(e["error"]["file"].is_null()) << sentence;
    EXPECT_TRUE(e["error"]["line"].is_null()) << sentence;
    EXPECT_TRUE(e["error"]["column"].is_null()) << sentence;
  }
}

TEST(ReporterError, JsonFormWritesTheDocumentAndTheSentence) {
  std::ostringstream out, err;
  Reporter json_reporter(Format::json, out, err);
  json_reporter.error("x.rml:2:3: bad");
  EXPECT_EQ(json::parse(out.str())["error"]["line"], 2);
  EXPECT_EQ(err.str(), "x.rml:2:3: bad\n");

  std::ostringstream out2, err2;
  Reporter text_reporter(Format::text, out2, err2);
  text_reporter.error("x.rml:2:3: bad");
  EXPECT_EQ(out2.str(), "") << "text: stdout stays empty";
  EXPECT_EQ(err2.str(), "x.rml:2:3: bad\n");
}

}  // namespace
}  // namespace rmaplab::report
