#pragma once
// Internal to crf/: what the dense CRF's inner loops share. Not part of the API.
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <type_traits>

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

// Vectors are passed between functions only after inlining; GCC's note that the baseline and the AVX
// clones would pass them differently is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

/// Eight floats as one vector: GCC's generic vectors, compiled to AVX in the x86-64-v3 clones and
/// to SSE pairs in the baseline. Aligned to 4, so rows of floats can be read and written through it
/// at any float offset.
typedef float v8f __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));

inline v8f load8(const float* p) { return *reinterpret_cast<const v8f*>(p); }
inline void store8(float* p, v8f v) { *reinterpret_cast<v8f*>(p) = v; }
inline v8f broadcast8(float x) { return v8f{} + x; }
inline v8f max8(v8f a, v8f b) { return a > b ? a : b; }
/// The maximum and the sum of the eight lanes, in every lane.
inline v8f all_max8(v8f a) {
  a = max8(a, __builtin_shuffle(a, v8i{4, 5, 6, 7, 0, 1, 2, 3}));
  a = max8(a, __builtin_shuffle(a, v8i{2, 3, 0, 1, 6, 7, 4, 5}));
  return max8(a, __builtin_shuffle(a, v8i{1, 0, 3, 2, 5, 4, 7, 6}));
}
inline v8f all_sum8(v8f a) {
  a += __builtin_shuffle(a, v8i{4, 5, 6, 7, 0, 1, 2, 3});
  a += __builtin_shuffle(a, v8i{2, 3, 0, 1, 6, 7, 4, 5});
  return a + __builtin_shuffle(a, v8i{1, 0, 3, 2, 5, 4, 7, 6});
}

/// exp(x) in float (T = float or v8f), relative error below 3e-7 over the whole range (Cody-Waite
/// range reduction and Cephes' degree-6 polynomial); x is clamped to [-87.3, 88] (results stay
/// normal floats). Branch-free and call-free (densecrf relies on Eigen's vector exp).
/// kNonPositive: the caller guarantees x <= 0 (a softmax's x - max), so only the lower clamp is needed.
template <typename T, bool kNonPositive = false>
inline T fast_exp(T x) {
  const T lo = T{} - 87.3f, hi = T{} + 88.0f;
  x = x < lo ? lo : x;
  if constexpr (!kNonPositive) x = x > hi ? hi : x;
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: (t + kMagic) - kMagic rounds t to an integer
  const T fn = (x * 1.44269504088896341f + kMagic) - kMagic;
  T r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  T p = T{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n through the exponent bits.
  if constexpr (std::is_same_v<T, float>) {
    return p * __builtin_bit_cast(float, (static_cast<int32_t>(fn) + 127) << 23);
  } else {
    return p * (T)((__builtin_convertvector(fn, v8i) + 127) << 23);  // a bit cast between vectors
  }
}

/// Row kernels over rows of W floats, W = kW when kW > 0 (fixed widths unroll into whole vectors)
/// or the runtime `w` when kW == 0. Always inlined, so they take the instruction set of the
/// BEYOND_CRF_KERNEL function that calls them.
#define BEYOND_CRF_ROW inline __attribute__((always_inline))

/// y += a * x
template <int kW>
BEYOND_CRF_ROW void row_axpy(float* __restrict y, float a, const float* __restrict x, int64_t w) {
  const int64_t W = kW > 0 ? kW : w;
#pragma omp simd
  for (int64_t k = 0; k < W; ++k) y[k] += a * x[k];
}

/// y = a * x
template <int kW>
BEYOND_CRF_ROW void row_scale(float* __restrict y, float a, const float* __restrict x, int64_t w) {
  const int64_t W = kW > 0 ? kW : w;
#pragma omp simd
  for (int64_t k = 0; k < W; ++k) y[k] = a * x[k];
}

/// Calls CALL(K) with the compile-time width K matching `w` (0: any other width, handled at run time).
/// The widths are those of padded label rows and of single values (the normalisation K 1).
#define BEYOND_CRF_DISPATCH_WIDTH(w, CALL) \
  switch (w) {                             \
    case 1: CALL(1); break;                \
    case 4: CALL(4); break;                \
    case 8: CALL(8); break;                \
    case 16: CALL(16); break;              \
    case 24: CALL(24); break;              \
    case 32: CALL(32); break;              \
    default: CALL(0); break;               \
  }

/// Vector rows must not straddle cache lines (a split store is not forwarded to the next load, and
/// the splat reads back what it just wrote): buffers of rows are allocated kAlignSlack floats
/// larger and used from their first 64-byte boundary.
constexpr size_t kAlignSlack = 16;
template <typename T>
T* align64(T* p) {
  return reinterpret_cast<T*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t{63});
}

/// Sets `v` to `n` copies of `value`, asking the kernel to back the new buffer with 2 MiB pages
/// (transparent huge pages in "madvise" mode, as on Debian) before it is first touched. The CRF's
/// buffers are tens of MiB, filled once per image: with 4 KiB pages, faulting them in took about a
/// sixth of a 500x375 run. A hint only: without huge pages this is a plain assign.
template <typename T>
void assign_fresh(std::vector<T>& v, size_t n, T value) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (n * sizeof(T) >= 4 * kHuge && v.capacity() < n) {
    std::vector<T>().swap(v);
    v.reserve(n);  // allocated, not yet touched
#ifdef MADV_HUGEPAGE
    const uintptr_t first = (reinterpret_cast<uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t last = (reinterpret_cast<uintptr_t>(v.data()) + n * sizeof(T)) & ~(kHuge - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
  }
  v.assign(n, value);
}

}  // namespace beyond::crf::detail
