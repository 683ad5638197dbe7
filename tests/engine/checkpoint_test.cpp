#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/engine/checkpoint.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;

struct State {
  torch::nn::Linear net{torch::nn::LinearOptions(3, 2)};
  std::unique_ptr<torch::optim::Adam> adam =
      std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(0.1));
  TrainingState view() { return {{{"net", net.ptr()}}, {{"model", adam.get()}}}; }
  void step() {
    adam->zero_grad();
    net->forward(torch::ones({4, 3})).sum().backward();
    adam->step();
  }
};

TEST(Checkpoint, SaveLoadRestoresWeightsOptimizerAndStep) {
  test::TempDir dir;
  State a;
  a.step();
  CheckpointManager m(dir / "run", 3);
  const std::string path = m.save(a.view(), 7);
  EXPECT_EQ(fs::path(path).filename(), "step_00000007.pt");

  State b;
  EXPECT_EQ(m.load(b.view(), path), 7);
  EXPECT_TRUE(torch::equal(a.net->weight, b.net->weight));
  // Same optimizer moments: one more identical step keeps them identical.
  a.step();
  b.step();
  EXPECT_TRUE(torch::equal(a.net->weight, b.net->weight));
}

TEST(Checkpoint, KeepsOnlyTheLastK) {
  test::TempDir dir;
  State s;
  CheckpointManager m(dir / "run", 2);
  for (int step : {1, 2, 3, 4}) m.save(s.view(), step);
  auto list = m.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(fs::path(list[0]).filename(), "step_00000003.pt");
  EXPECT_EQ(m.latest(), list[1]);
}

TEST(Checkpoint, TruncatedCheckpointGivesAClearErrorAndLeavesEarlierOnesIntact) {
  test::TempDir dir;
  State s;
  CheckpointManager m(dir / "run", 5);
  const std::string good = m.save(s.view(), 1);
  const std::string bad = m.save(s.view(), 2);
  const std::string good_bytes = read_file(good);
  const std::string bad_bytes = read_file(bad);
  fs::resize_file(bad, bad_bytes.size() / 2);

  State t;
  try {
    m.load(t.view(), bad);
    FAIL() << "expected an error for a truncated checkpoint";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(bad), std::string::npos) << msg;
    EXPECT_NE(msg.find("step_00000001.pt"), std::string::npos) << "should point at the earlier checkpoint: " << msg;
  }
  EXPECT_EQ(read_file(good), good_bytes);
  EXPECT_EQ(m.load(t.view(), good), 1);
}

TEST(Checkpoint, MismatchedModelNamesTheFile) {
  test::TempDir dir;
  State s;
  CheckpointManager m(dir / "run", 5);
  const std::string path = m.save(s.view(), 1);
  torch::nn::Linear other(torch::nn::LinearOptions(5, 2));
  TrainingState wrong{{{"net", other.ptr()}}, {}};
  try {
    m.load(wrong, path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, FailedWriterLeavesTheOldFileAndNoTemporary) {
  test::TempDir dir;
  const std::string path = dir / "f.txt";
  write_file_atomic(path, "old");
  EXPECT_THROW(write_atomic_with(path,
                                 [](const std::string& tmp) {
                                   std::ofstream(tmp) << "half";
                                   throw std::runtime_error("crash while writing");
                                 }),
               std::runtime_error);
  EXPECT_EQ(read_file(path), "old");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, UnwritableDirectoryIsReportedWithThePath) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  test::TempDir dir;
  fs::create_directories(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  try {
    ensure_writable_dir(dir / "ro/run");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ro"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, DirectoryBlockedByAFileIsReported) {
  test::TempDir dir;
  write_file_atomic(dir / "file", "x");
  try {
    ensure_writable_dir(dir / "file/run");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace beyond
