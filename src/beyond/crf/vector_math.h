#pragma once
// Internal to crf/: what the dense CRF's inner loops share. Not part of the API.
#include <algorithm>
#include <cstdint>

// The hot loops are plain functions that GCC compiles twice (x86-64-v3, i.e. AVX2 + FMA, and the
// baseline x86-64) and picks between at load time by the CPU's features, since the library itself is
// built for any x86-64. ("arch=haswell" would be chosen only on that Intel model, not on AMD.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define BEYOND_CRF_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define BEYOND_CRF_KERNEL
#endif

namespace beyond::crf::detail {

/// Round to nearest, ties to even (rint in the default rounding mode) for |v| < 2^22, in two
/// additions: no libm call, so loops around it stay vectorisable.
inline float round_even(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;  // IEEE arithmetic: not folded without -ffast-math
}

/// exp(x) in float, relative error below 3e-7 over the whole range (Cody-Waite range reduction and
/// Cephes' degree-6 polynomial); x is clamped to [-87.3, 88] (results stay normal floats).
/// Branch-free and call-free, so softmax loops vectorise (densecrf relies on Eigen's vector exp).
inline float fast_exp(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.0f ? 88.0f : x;
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: (t + kMagic) - kMagic rounds t to an integer
  const float fn = (x * 1.44269504088896341f + kMagic) - kMagic;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n through the exponent bits.
  const float scale = __builtin_bit_cast(float, (static_cast<int32_t>(fn) + 127) << 23);
  return p * scale;
}

}  // namespace beyond::crf::detail
