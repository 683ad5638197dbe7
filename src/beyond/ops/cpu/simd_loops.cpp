#include "beyond/ops/cpu/simd_loops.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

// target_clones makes one copy of a function per listed instruction set plus an ifunc resolver that
// picks the best one for the running CPU. The bodies are always-inline templates, so each clone
// gets its own vectorised copy of the loop.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BEYOND_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BEYOND_CLONES
#endif
// The vector helpers are always inlined, so the ABI of passing 64-byte vectors never matters.
#pragma GCC diagnostic ignored "-Wpsabi"
#define BEYOND_INLINE inline __attribute__((always_inline))

namespace beyond::ops::cpu::simd {
namespace {

// Channels are processed in blocks of four 64-byte vectors (GCC vector extensions: one zmm register
// each under AVX-512, two ymm under AVX2), so the accumulators stay in registers while every tap (or
// cell) streams through them, instead of `out` being loaded and stored once per tap.
constexpr int kVectors = 4;
constexpr int kVectorBytes = 64;
template <typename T>
struct VecOf;  // GCC ignores vector_size on a dependent type, so each element type is spelled out
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(kVectorBytes)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(kVectorBytes)));
};
template <typename T>
using Vec = typename VecOf<T>::type;
template <typename T>
constexpr int64_t kLanes = kVectorBytes / sizeof(T);
template <typename T>
constexpr int64_t kBlock = kVectors * kLanes<T>;

template <typename V, typename T>
BEYOND_INLINE V load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V, typename T>
BEYOND_INLINE void store(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

template <typename T>
BEYOND_INLINE void weighted_sum_impl(const T* base, int64_t stride, const int64_t* cells, const T* weights,
                                     int64_t num_taps, int64_t n, T* out) {
  using V = Vec<T>;
  constexpr int64_t lanes = kLanes<T>;
  int64_t c = 0;
  for (; c + kBlock<T> <= n; c += kBlock<T>) {
    V acc[kVectors] = {};
    for (int64_t t = 0; t < num_taps; ++t) {
      const T* p = base + cells[t] * stride + c;
      const V w = V{} + weights[t];
      for (int v = 0; v < kVectors; ++v) acc[v] += w * load<V>(p + v * lanes);
    }
    for (int v = 0; v < kVectors; ++v) store(out + c + v * lanes, acc[v]);
  }
  for (; c < n; ++c) {
    T acc = 0;
    for (int64_t t = 0; t < num_taps; ++t) acc += weights[t] * base[cells[t] * stride + c];
    out[c] = acc;
  }
}

template <typename T>
BEYOND_INLINE void rect_max_impl(const T* base, int64_t stride, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
                                 int64_t width, int64_t n, T* out, int32_t* at) {
  if (h1 <= h0 || w1 <= w0) {
    std::fill(out, out + n, T(0));
    std::fill(at, at + n, -1);
    return;
  }
  using V = Vec<T>;
  using Mask = decltype(V{} > V{});  // integer lanes of the same width, all ones where true
  using Index = std::remove_reference_t<decltype(Mask{}[0])>;
  constexpr int64_t lanes = kLanes<T>;
  int64_t c = 0;
  for (; c + kBlock<T> <= n; c += kBlock<T>) {
    V best[kVectors];
    Mask where[kVectors];
    for (int v = 0; v < kVectors; ++v) {
      best[v] = V{} + std::numeric_limits<T>::lowest();
      where[v] = Mask{} - 1;
    }
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t cell = h * width + w;
        const T* p = base + cell * stride + c;
        const Mask cell_v = Mask{} + static_cast<Index>(cell);
        for (int v = 0; v < kVectors; ++v) {
          const V x = load<V>(p + v * lanes);
          const Mask take = x > best[v];  // strict: the first maximum in row-major order wins
          best[v] = take ? x : best[v];
          where[v] = take ? cell_v : where[v];
        }
      }
    for (int v = 0; v < kVectors; ++v) {
      store(out + c + v * lanes, best[v]);
      for (int64_t j = 0; j < lanes; ++j) at[c + v * lanes + j] = static_cast<int32_t>(where[v][j]);
    }
  }
  for (; c < n; ++c) {
    T best = std::numeric_limits<T>::lowest();
    int32_t where = -1;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const T x = base[(h * width + w) * stride + c];
        if (x > best) {
          best = x;
          where = static_cast<int32_t>(h * width + w);
        }
      }
    out[c] = best;
    at[c] = where;
  }
}

template <typename T>
void transpose_impl(const T* in, int64_t rows, int64_t cols, T* out) {
  // 64 x 64 tiles: reads of 64 contiguous columns of a row and writes of 64 contiguous rows of a
  // column; a tile of each fits in L1.
  constexpr int64_t tile = 64;
  const int64_t col_tiles = (cols + tile - 1) / tile;
  at::parallel_for(0, col_tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ct = begin; ct < end; ++ct) {
      const int64_t c0 = ct * tile, c1 = std::min(c0 + tile, cols);
      for (int64_t r0 = 0; r0 < rows; r0 += tile) {
        const int64_t r1 = std::min(r0 + tile, rows);
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t r = r0; r < r1; ++r) out[c * rows + r] = in[r * cols + c];
      }
    }
  });
}

}  // namespace

BEYOND_CLONES void weighted_sum(const float* base, int64_t stride, const int64_t* cells, const float* weights,
                                int64_t num_taps, int64_t n, float* out) {
  weighted_sum_impl(base, stride, cells, weights, num_taps, n, out);
}
BEYOND_CLONES void weighted_sum(const double* base, int64_t stride, const int64_t* cells, const double* weights,
                                int64_t num_taps, int64_t n, double* out) {
  weighted_sum_impl(base, stride, cells, weights, num_taps, n, out);
}
BEYOND_CLONES void rect_max(const float* base, int64_t stride, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
                            int64_t width, int64_t n, float* out, int32_t* at) {
  rect_max_impl(base, stride, h0, h1, w0, w1, width, n, out, at);
}
BEYOND_CLONES void rect_max(const double* base, int64_t stride, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
                            int64_t width, int64_t n, double* out, int32_t* at) {
  rect_max_impl(base, stride, h0, h1, w0, w1, width, n, out, at);
}
void transpose(const float* in, int64_t rows, int64_t cols, float* out) { transpose_impl(in, rows, cols, out); }
void transpose(const double* in, int64_t rows, int64_t cols, double* out) { transpose_impl(in, rows, cols, out); }

}  // namespace beyond::ops::cpu::simd
