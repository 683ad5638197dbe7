#include <gtest/gtest.h>

#include <filesystem>

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/data/fashion_mnist.h"

using beyond::data::kFashionMnistDir;
using beyond::data::load_fashion_mnist;

namespace {
bool have_dataset() { return std::filesystem::is_directory(kFashionMnistDir); }
}  // namespace

TEST(FashionMnist, TrainAndTestShapesAndRanges) {
  if (!have_dataset()) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  const auto train = load_fashion_mnist(kFashionMnistDir, "train");
  EXPECT_EQ(train.images.sizes(), torch::IntArrayRef({60000, 1, 28, 28}));
  EXPECT_EQ(train.images.scalar_type(), torch::kFloat32);
  EXPECT_EQ(train.labels.sizes(), torch::IntArrayRef({60000}));
  EXPECT_EQ(train.labels.scalar_type(), torch::kInt64);
  EXPECT_GE(train.images.min().item<float>(), 0.0f);
  EXPECT_LE(train.images.max().item<float>(), 1.0f);
  EXPECT_GT(train.images.max().item<float>(), 0.99f);
  EXPECT_EQ(train.labels.min().item<int64_t>(), 0);
  EXPECT_EQ(train.labels.max().item<int64_t>(), 9);
  // Balanced classes: 6000 each.
  EXPECT_TRUE(torch::equal(torch::bincount(train.labels), torch::full({10}, 6000, torch::kInt64)));

  const auto test = load_fashion_mnist(kFashionMnistDir, "test");
  EXPECT_EQ(test.images.size(0), 10000);
  EXPECT_EQ(test.labels.size(0), 10000);
}

TEST(FashionMnist, Limit) {
  if (!have_dataset()) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  const auto few = load_fashion_mnist(kFashionMnistDir, "test", 100);
  EXPECT_EQ(few.images.size(0), 100);
  EXPECT_EQ(few.labels.size(0), 100);
  const auto all = load_fashion_mnist(kFashionMnistDir, "test");
  EXPECT_TRUE(torch::equal(few.images, all.images.narrow(0, 0, 100)));
}

TEST(FashionMnist, MissingRootNamesPackage) {
  try {
    load_fashion_mnist("/nonexistent/beyond/fashion-mnist", "train");
    FAIL() << "expected beyond::Error";
  } catch (const beyond::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dataset-fashion-mnist"), std::string::npos) << msg;
    EXPECT_NE(msg.find("/nonexistent/beyond/fashion-mnist"), std::string::npos) << msg;
  }
}

TEST(FashionMnist, MissingFileNamesPackage) {
  const auto dir = std::filesystem::temp_directory_path() / "beyond_fmnist_empty_dir_test";
  std::filesystem::create_directories(dir);
  try {
    load_fashion_mnist(dir.string(), "test");
    ADD_FAILURE() << "expected beyond::Error";
  } catch (const beyond::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("t10k-images-idx3-ubyte"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dataset-fashion-mnist"), std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

TEST(FashionMnist, BadSplit) {
  EXPECT_THROW(load_fashion_mnist(kFashionMnistDir, "validation"), beyond::Error);
}

TEST(FashionMnist, ClassNames) {
  ASSERT_EQ(beyond::data::class_names().size(), 10u);
  EXPECT_EQ(beyond::data::class_names()[0], "T-shirt/top");
  EXPECT_EQ(beyond::data::class_names()[9], "Ankle boot");
}

#include "beyond/data/formats/idx.h"

TEST(FashionMnist, CountMismatchIsReported) {
  const auto dir = std::filesystem::temp_directory_path() / "beyond_fmnist_mismatch_test";
  std::filesystem::create_directories(dir);
  beyond::data::write_idx((dir / "t10k-images-idx3-ubyte.gz").string(), torch::zeros({5, 28, 28}, torch::kUInt8));
  beyond::data::write_idx((dir / "t10k-labels-idx1-ubyte.gz").string(), torch::zeros({4}, torch::kUInt8));
  try {
    load_fashion_mnist(dir.string(), "test");
    ADD_FAILURE() << "expected beyond::Error";
  } catch (const beyond::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("5 images"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4 labels"), std::string::npos) << msg;
  }
  // Matching counts load, scaled to [0, 1].
  beyond::data::write_idx((dir / "t10k-labels-idx1-ubyte.gz").string(), torch::arange(5).to(torch::kUInt8));
  beyond::data::write_idx((dir / "t10k-images-idx3-ubyte.gz").string(), torch::full({5, 28, 28}, 255, torch::kUInt8));
  const auto small = load_fashion_mnist(dir.string(), "test");
  EXPECT_FLOAT_EQ(small.images.min().item<float>(), 1.0f);
  EXPECT_EQ(small.labels[4].item<int64_t>(), 4);
  std::filesystem::remove_all(dir);
}
