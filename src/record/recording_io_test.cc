// save_recording() and load_recording() round-trip, and reject damaged files
// naming the file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "record/testdata.h"
#include "rmaplab/record.h"

namespace rmaplab::record {
namespace {

namespace fs = std::filesystem;

class RecordingIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rmaplab-record-io-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  void rewrite(const std::string& file, const std::string& from, const std::string& to) {
    std::ifstream in(dir_ / file);
    std::stringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
    std::ofstream(dir_ / file, std::ios::trunc) << text;
  }

  fs::path dir_;
};

TEST_F(RecordingIo, RecordedTracesRoundTrip) {
  for (const auto& sample : {testing::kForkTrace, testing::kThreadTrace, testing::kCrashTrace,
                             testing::kShellTrace}) {
    auto rec = build_recording(testing::read_testdata(sample.file), sample.root, sample.recorder);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    rec->command = {"prog", "arg"};
    rec->kernel = "6.18.44";
    rec->tasks[0].wait_status = 0x8b;
    ASSERT_TRUE(save_recording(*rec, dir()).ok());
    auto back = load_recording(dir());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, *rec) << sample.file;
  }
}

TEST_F(RecordingIo, StringsWithQuotesSpacesAndNewlinesRoundTrip) {
  Recording rec;
  rec.command = {"sh", "-c", "echo \"a b\"\n\\x", ""};
  rec.kernel = "6.18";
  Task t;
  t.pid = t.tgid = 7;
  t.origin = TaskOrigin::launched;
  rec.tasks.push_back(t);
  Operation op;
  op.pid = 7;
  op.name = "execve";
  op.nr = 59;
  op.exec_filename = "/tmp/with space/\"q\"";
  op.ret = -2;
  op.kmem.push_back(KmemEvent{true, KernelObject::anon_vma, "__anon_vma_prepare", 0xffff888100, 5, 7});
  rec.ops.push_back(op);
  Operation exit;
  exit.index = 1;
  exit.pid = 7;
  exit.kind = OpKind::exit;
  exit.killed = true;
  rec.ops.push_back(exit);
  rec.unexplained.push_back(KmemEvent{false, KernelObject::anon_vma_chain, "unlink_anon_vmas", 1, 9, 7});
  ASSERT_TRUE(save_recording(rec, dir()).ok());
  auto back = load_recording(dir());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, rec);
}

TEST_F(RecordingIo, TruthTotalsAreTheSumOfTheOperations) {
  auto rec = build_recording(testing::read_testdata(testing::kForkTrace.file),
                             testing::kForkTrace.root, testing::kForkTrace.recorder);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(save_recording(*rec, dir()).ok());
  rewrite("truth.json", "\"avc_alloc\": 54", "\"avc_alloc\": 55");
  auto back = load_recording(dir());
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("not the sum"), std::string::npos) << back.error().message;
}

TEST_F(RecordingIo, ADamagedLineIsNamed) {
  auto rec = build_recording(testing::read_testdata(testing::kForkTrace.file),
                             testing::kForkTrace.root, testing::kForkTrace.recorder);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(save_recording(*rec, dir()).ok());
  rewrite("events.txt", "op 1 pid=", "op 1 pod=");
  auto back = load_recording(dir());
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("events.txt:"), std::string::npos) << back.error().message;
  EXPECT_NE(back.error().message.find("no pid="), std::string::npos) << back.error().message;
}

TEST_F(RecordingIo, AMissingDirectoryIsOneSentence) {
  auto back = load_recording(dir());
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace rmaplab::record
