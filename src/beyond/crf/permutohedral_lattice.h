#pragma once
/// The permutohedral lattice of Adams, Baek and Davis ("Fast High-Dimensional Filtering Using the
/// Permutohedral Lattice", Eurographics 2010): Gaussian filtering of N points in a d-dimensional
/// feature space in O(N d^2 + M d V) instead of O(N^2 V), by splatting each point's values onto the
/// d+1 vertices of the lattice simplex that holds it (barycentric weights), blurring along the d+1
/// lattice directions with the kernel [1/2, 1, 1/2], and slicing back with the same weights.
///
///   // 5-D bilateral features (x/sxy, y/sxy, r/srgb, g/srgb, b/srgb), one row per pixel
///   beyond::crf::PermutohedralLattice lattice(features.data(), n, 5);
///   lattice.filter(q.data(), out.data(), labels);   // out[i] ~ sum_j exp(-|f_i - f_j|^2 / 2) q[j]
///
/// It approximates the filter sum_j k(f_i, f_j) v_j with k(a, b) = exp(-|a - b|^2 / 2) (unit standard
/// deviation in feature units: scale the features by 1/sigma) up to a smooth, roughly constant
/// factor, which is why dense CRFs normalise it (DenseCRF's NormalizationType). The definitions
/// (scaling, elevation, rounding, blur order and the final factor 1/(1 + 2^-d)) are those of
/// Krähenbühl and Koltun's densecrf, so beyond's dense CRF agrees with it number for number.
///
/// Plain C++ with OpenMP, no LibTorch: it works on caller-provided float buffers, row-major
/// [N, value_size], so an autograd wrapper can call it. Its matrix is symmetric up to the order of
/// the blur passes: `reverse` runs them in the opposite order, which gives the exact transpose
/// (the backward of a filter is a reversed filter of the output gradient).
///
/// Workspaces are allocated by the first filter() with a given value size and thread count and
/// reused afterwards, so mean-field iterations allocate nothing. A lattice is therefore not safe
/// to filter from two threads at once (each call is itself parallel).
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace beyond::crf {

class PermutohedralLattice {
 public:
  /// Per-point scaling around the filter, so a normalised filter needs no temporary buffers:
  ///   out[i] = (accumulate ? out[i] : 0) + out_weight * out_scale[i] * sum_j K(i, j) in_scale[j] in[j].
  /// Null scales mean 1.
  struct FilterOptions {
    const float* in_scale = nullptr;   // [N] or null
    const float* out_scale = nullptr;  // [N] or null
    float out_weight = 1.0f;
    bool accumulate = false;  // add to `out` instead of overwriting it
    bool reverse = false;     // blur passes in reverse order: the transpose of the forward filter
  };

  PermutohedralLattice() = default;
  /// See build().
  PermutohedralLattice(const float* features, int64_t num_points, int dim) { build(features, num_points, dim); }

  /// Builds the lattice for `num_points` points whose features are rows of `features`
  /// ([num_points, dim], row-major, already divided by the kernel's standard deviations).
  /// Requires 1 <= dim <= 16 and finite features; parallel over points.
  void build(const float* features, int64_t num_points, int dim);

  /// Filters `in` ([N, value_size] row-major) into `out` (same shape; may alias `in`).
  void filter(const float* in, float* out, int64_t value_size, const FilterOptions& options);
  void filter(const float* in, float* out, int64_t value_size) { filter(in, out, value_size, FilterOptions{}); }

  int64_t num_points() const { return n_; }
  int dim() const { return d_; }
  /// Number of lattice vertices that received a point (M).
  int64_t num_vertices() const { return m_; }
  /// Bytes held: the splat structure, neighbour lists and the workspaces allocated so far.
  size_t memory_bytes() const;
  /// Releases the workspaces (they are allocated again by the next filter()).
  void release_workspace();

 private:
  void ensure_workspace(int64_t value_size, int threads);
  /// The value columns [c0, c1) that thread `thread` of `threads` filters.
  static std::pair<int64_t, int64_t> columns(int64_t value_size, int thread, int threads);

  int64_t n_ = 0;  // points
  int d_ = 0;      // feature dimension
  int64_t m_ = 0;  // lattice vertices
  /// Per point, its d+1 simplex vertices (row index into the value buffers; row 0 is all zeros and
  /// stands for "no such vertex") and barycentric weights: [N, d+1].
  std::vector<int32_t> offset_;
  std::vector<float> weight_;
  /// Per direction j and vertex m, the rows of its two neighbours along j (0 if absent): [(d+1), M+1, 2].
  std::vector<int32_t> neighbours_;
  // Workspaces: two value buffers for the blur, each holding per thread its columns as rows
  // [(M+1), c1 - c0], and the slice's accumulators [V].
  std::vector<float> values_, scratch_, slice_rows_;
  int64_t workspace_value_size_ = 0;
  int workspace_threads_ = 0;
};

}  // namespace beyond::crf
