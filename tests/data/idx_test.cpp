#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <torch/torch.h>

#include "support/helpers.h"
#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/data/formats/idx.h"

namespace fs = std::filesystem;
using beyond::data::read_idx;
using beyond::data::write_idx;

namespace {

using beyond::test::error_of;

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("beyond_idx_test_" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

}  // namespace

TEST_F(IdxTest, RoundTripAllDtypesPlainAndGzip) {
  const std::vector<torch::Tensor> tensors = {
      torch::randint(0, 256, {5, 7, 3}).to(torch::kUInt8),
      torch::randint(-128, 128, {11}).to(torch::kInt8),
      torch::randint(-30000, 30000, {4, 6}).to(torch::kInt16),
      torch::randint(-2000000000, 2000000000, {3, 2, 2, 2}, torch::kInt64).to(torch::kInt32),
      torch::randn({6, 5}),
      torch::randn({2, 3}, torch::kFloat64),
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    for (const std::string ext : {".idx", ".idx.gz"}) {
      const std::string p = path("t" + std::to_string(i) + ext);
      write_idx(p, tensors[i]);
      const torch::Tensor back = read_idx(p);
      EXPECT_EQ(back.scalar_type(), tensors[i].scalar_type()) << p;
      EXPECT_EQ(back.sizes(), tensors[i].sizes()) << p;
      EXPECT_TRUE(torch::equal(back, tensors[i])) << p;
    }
  }
}

TEST_F(IdxTest, GzipIsActuallyCompressedAndBigEndian) {
  const torch::Tensor t = torch::tensor({1, 258}, torch::kInt16);
  write_idx(path("a.idx"), t);
  const std::string bytes = beyond::read_file(path("a.idx"));
  ASSERT_EQ(bytes.size(), 4u + 4u + 4u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x0b\x01", 4));
  EXPECT_EQ(bytes.substr(4, 4), std::string("\x00\x00\x00\x02", 4));
  EXPECT_EQ(bytes.substr(8, 4), std::string("\x00\x01\x01\x02", 4));

  write_idx(path("z.idx.gz"), torch::zeros({100, 100}, torch::kUInt8));
  const std::string gz = beyond::read_file(path("z.idx.gz"));
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_LT(gz.size(), 1000u);
}

TEST_F(IdxTest, TruncatedFileNamesFileAndByte) {
  const torch::Tensor t = torch::randint(0, 256, {10, 28, 28}).to(torch::kUInt8);
  write_idx(path("full-idx3-ubyte"), t);
  std::string bytes = beyond::read_file(path("full-idx3-ubyte"));
  beyond::write_file_atomic(path("cut-idx3-ubyte"), bytes.substr(0, 16 + 100));
  std::string msg = error_of([&] { read_idx(path("cut-idx3-ubyte")); });
  EXPECT_NE(msg.find("cut-idx3-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte 116"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(16 + 10 * 28 * 28)), std::string::npos) << msg;

  // The same data compressed, then the compressed stream cut in half.
  write_idx(path("full.gz"), torch::randint(0, 256, {50, 28, 28}).to(torch::kUInt8));
  bytes = beyond::read_file(path("full.gz"));
  beyond::write_file_atomic(path("cut.gz"), bytes.substr(0, bytes.size() / 2));
  msg = error_of([&] { read_idx(path("cut.gz")); });
  EXPECT_NE(msg.find("cut.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte"), std::string::npos) << msg;

  // Cut inside the header.
  beyond::write_file_atomic(path("head"), bytes.substr(0, 0) + std::string("\x00\x00\x08\x03\x00\x00", 6));
  msg = error_of([&] { read_idx(path("head")); });
  EXPECT_NE(msg.find("truncated at byte 6 of 16"), std::string::npos) << msg;
}

TEST_F(IdxTest, ExtraBytesAreReported) {
  write_idx(path("x.idx"), torch::zeros({4}, torch::kUInt8));
  beyond::write_file_atomic(path("y.idx"), beyond::read_file(path("x.idx")) + "junk");
  const std::string msg = error_of([&] { read_idx(path("y.idx")); });
  EXPECT_NE(msg.find("after byte 12"), std::string::npos) << msg;
}

TEST_F(IdxTest, BadMagic) {
  beyond::write_file_atomic(path("bad.idx"), std::string("\x01\x02\x08\x01\x00\x00\x00\x01\x05", 9));
  std::string msg = error_of([&] { read_idx(path("bad.idx")); });
  EXPECT_NE(msg.find("bad.idx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;

  // Unknown type code.
  beyond::write_file_atomic(path("type.idx"), std::string("\x00\x00\x07\x01\x00\x00\x00\x01\x05", 9));
  msg = error_of([&] { read_idx(path("type.idx")); });
  EXPECT_NE(msg.find("0x07"), std::string::npos) << msg;
}

TEST_F(IdxTest, GarbageNamedGzIsRefused) {
  beyond::write_file_atomic(path("garbage.gz"), "this is certainly not a gzip file, nor an IDX file");
  const std::string msg = error_of([&] { read_idx(path("garbage.gz")); });
  EXPECT_NE(msg.find("garbage.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
}

TEST_F(IdxTest, CorruptGzipStream) {
  write_idx(path("ok.gz"), torch::randint(0, 256, {64, 64}).to(torch::kUInt8));
  std::string bytes = beyond::read_file(path("ok.gz"));
  // Keep the gzip header (10 bytes), scramble the deflate data.
  std::mt19937 rng(3);
  for (size_t i = 12; i < bytes.size() - 8; ++i) bytes[i] = static_cast<char>(rng());
  beyond::write_file_atomic(path("scrambled.gz"), bytes);
  const std::string msg = error_of([&] { read_idx(path("scrambled.gz")); });
  EXPECT_NE(msg.find("scrambled.gz"), std::string::npos) << msg;
  EXPECT_FALSE(msg.empty());
}

TEST_F(IdxTest, MissingFile) {
  const std::string msg = error_of([&] { read_idx(path("nope-idx1-ubyte.gz")); });
  EXPECT_NE(msg.find("nope-idx1-ubyte.gz"), std::string::npos) << msg;
}

TEST_F(IdxTest, WriteRefusesUnsupportedDtype) {
  const std::string msg = error_of([&] { write_idx(path("b.idx"), torch::zeros({2}, torch::kBool)); });
  EXPECT_NE(msg.find("uint8"), std::string::npos) << msg;
}
