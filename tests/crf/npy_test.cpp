// .npy reading and writing (float32, C order, little-endian) and its error messages.
#include <gtest/gtest.h>

#include <cstring>

#include "beyond/core/atomic_file.h"
#include "beyond/data/formats/npy.h"
#include "crf/npy_bytes.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace beyond::npy {
namespace {

TEST(Npy, RoundTripsAndReadsWhatNumpyWrites) {
  test::TempDir dir;
  const std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 1e-20f, 7.0f};
  write_float32(dir / "a.npy", {2, 3}, data.data());
  const std::string bytes = read_file(dir / "a.npy");
  EXPECT_EQ((bytes.size() - data.size() * 4) % 64, 0u);  // data aligned as NumPy aligns it
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), std::string::npos);
  const Float32Array a = read_float32(dir / "a.npy", 2, "[2, 3]");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, data);
  // 1-D shapes are written "(n,)"; version 2.0 headers and '=' byte order are read.
  write_float32(dir / "b.npy", {6}, data.data());
  EXPECT_EQ(read_float32(dir / "b.npy", 1).shape, (std::vector<int64_t>{6}));
  const auto v2 = test::npy_bytes("=f4", false, "(3, 2)", data.data(), 24, 2);
  EXPECT_EQ(parse_float32(v2, "v2.npy", 2).data, data);
}

TEST(Npy, ClearErrors) {
  const std::vector<double> d = {1, 2, 3, 4};
  const std::vector<float> f = {1, 2, 3, 4};
  const std::string expected = "[L, H, W] (labels, height, width)";
  auto error = [&](const std::string& bytes, int rank) {
    return test::error_of([&] { parse_float32(bytes, "u.npy", rank, expected); });
  };
  const std::string f8 = error(test::npy_bytes("<f8", false, "(1, 2, 2)", d.data(), 32), 3);
  EXPECT_NE(f8.find("u.npy: holds float64 ('<f8'), expected float32 [L, H, W] (labels, height, width) ('<f4')"),
            std::string::npos)
      << f8;
  EXPECT_NE(f8.find("astype(np.float32)"), std::string::npos);
  const std::string big = error(test::npy_bytes(">f4", false, "(1, 2, 2)", f.data(), 16), 3);
  EXPECT_NE(big.find("u.npy: holds big-endian float32 ('>f4'), expected little-endian float32 [L, H, W]"),
            std::string::npos)
      << big;
  const std::string rank = error(test::npy_bytes("<f4", false, "(2, 2)", f.data(), 16), 3);
  EXPECT_NE(rank.find("u.npy: has shape [2, 2] (rank 2), expected rank 3 float32 [L, H, W]"), std::string::npos) << rank;
  const std::string fortran = error(test::npy_bytes("<f4", true, "(1, 2, 2)", f.data(), 16), 3);
  EXPECT_NE(fortran.find("u.npy: is in Fortran order, expected C order float32 [L, H, W]"), std::string::npos) << fortran;
  const std::string truncated = error(test::npy_bytes("<f4", false, "(1, 2, 3)", f.data(), 16), 3);
  EXPECT_NE(truncated.find("u.npy: shape [1, 2, 3] needs 24 bytes of data, the file has 16"), std::string::npos)
      << truncated;
  EXPECT_NE(error("PNG....", 3).find("u.npy: not a NumPy .npy file"), std::string::npos);
  const std::string i4 = error(test::npy_bytes("<i4", false, "(4,)", f.data(), 16), 1);
  EXPECT_NE(i4.find("holds int32 ('<i4')"), std::string::npos) << i4;
}

}  // namespace
}  // namespace beyond::npy
