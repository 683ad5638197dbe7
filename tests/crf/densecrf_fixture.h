#pragma once
// The shared densecrf reference case (tests/data/densecrf/README.md): the coffee image, its
// 21-label unary and the marginals densecrf computes after 10 iterations, in beyond's layouts.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "beyond/core/error.h"

namespace beyond::test {

struct DenseCrfFixture {
  static constexpr int64_t kWidth = 320, kHeight = 213, kLabels = 21;
  std::vector<uint8_t> rgb;       // [H, W, 3]
  std::vector<float> unary;       // [L, H, W] (the file is [N, L])
  std::vector<float> reference;   // densecrf's Q after 10 iterations, [L, H, W]
};

inline std::vector<char> read_fixture_bytes(const std::string& name, size_t expected) {
  const std::string path = std::string(BEYOND_TEST_DATA_DIR) + "/densecrf/" + name;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes(expected);
  in.read(bytes.data(), static_cast<std::streamsize>(expected));
  BEYOND_CHECK(in && in.peek() == EOF, path, ": expected exactly ", expected, " bytes");
  return bytes;
}

/// [N, L] pixel-major floats -> [L, N] planar.
inline std::vector<float> fixture_planar(const std::vector<char>& bytes, int64_t n, int64_t labels) {
  const auto* f = reinterpret_cast<const float*>(bytes.data());
  std::vector<float> out(static_cast<size_t>(n * labels));
  for (int64_t p = 0; p < n; ++p)
    for (int64_t l = 0; l < labels; ++l) out[l * n + p] = f[p * labels + l];
  return out;
}

inline DenseCrfFixture load_densecrf_fixture() {
  using F = DenseCrfFixture;
  constexpr int64_t n = F::kWidth * F::kHeight;
  DenseCrfFixture fx;
  const auto rgb = read_fixture_bytes("coffee_320x213.rgb", n * 3);
  fx.rgb.assign(rgb.begin(), rgb.end());
  fx.unary = fixture_planar(read_fixture_bytes("coffee_320x213_unary_f32_MxN.bin", n * F::kLabels * 4), n, F::kLabels);
  fx.reference = fixture_planar(read_fixture_bytes("coffee_320x213_Q_it10_f32_MxN.bin", n * F::kLabels * 4), n, F::kLabels);
  return fx;
}

}  // namespace beyond::test
