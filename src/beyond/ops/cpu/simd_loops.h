// The innermost loops of the RoI kernels, compiled once per instruction set (AVX-512, AVX2, baseline)
// and chosen at load time: Debian builds for baseline x86-64, where a float loop runs four lanes
// wide, while the machines that run these kernels have eight or sixteen.
#pragma once

#include <cstdint>

namespace beyond::ops::cpu::simd {

/// out[c] = sum_t weights[t] * base[cells[t] * stride + c] for c < n, summed in tap order.
void weighted_sum(const float* base, int64_t stride, const int64_t* cells, const float* weights, int64_t num_taps,
                  int64_t n, float* out);
void weighted_sum(const double* base, int64_t stride, const int64_t* cells, const double* weights, int64_t num_taps,
                  int64_t n, double* out);

/// Maximum over the cells [h0, h1) x [w0, w1) of a map with `width` columns, where
/// base[(h * width + w) * stride + c] is channel c: out[c] is the largest value, at[c] the cell index
/// h * width + w where it first occurs in row-major order. An empty rectangle gives 0 and -1.
void rect_max(const float* base, int64_t stride, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t width,
              int64_t n, float* out, int32_t* at);
void rect_max(const double* base, int64_t stride, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t width,
              int64_t n, double* out, int32_t* at);

/// out[c * rows + r] = in[r * cols + c]: a [rows, cols] matrix to [cols, rows], in tiles and in
/// parallel (at::parallel_for).
void transpose(const float* in, int64_t rows, int64_t cols, float* out);
void transpose(const double* in, int64_t rows, int64_t cols, double* out);

}  // namespace beyond::ops::cpu::simd
