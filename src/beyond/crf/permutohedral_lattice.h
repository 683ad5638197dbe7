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
/// Threads split the points (splat, slice) and the vertices (blur) into contiguous blocks, one
/// parallel region per filter. Vertices that points of several threads splat onto get one private
/// row per thread (summed before the blur), so no two threads ever write the same row and the sums
/// do not depend on timing. The building blocks (`SplatPlan`, zero_splat / splat target rows /
/// reduce_splat / blur) are public so that a caller can fuse its own per-point work into the splat
/// and slice passes (DenseCRF's mean-field step does).
///
/// Workspaces are allocated by the first filter() with a given value size and thread count and
/// reused afterwards, so repeated filtering allocates nothing. A lattice is therefore not safe
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
    int threads = 0;          // 0: by the amount of work, at most omp_get_max_threads()
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
  /// Bytes held: the splat structure, neighbour lists, thread plan and the workspaces allocated so far.
  size_t memory_bytes() const;
  /// Releases the workspaces (they are allocated again by the next filter()).
  void release_workspace();

  // ---- Building blocks of filter(), for loops that fuse per-point work into the splat and slice.

  /// How the points are split for `threads` threads: plan slot u owns the points
  /// [point_begin(u), point_begin(u+1)); the `shared` vertices (reached by the points of more than one
  /// slot) are splatted into per-slot private rows after the M + 1 main rows and summed into their
  /// main rows by reduce_splat(). Value buffers are [rows(), W] (row 0 is the zero row of absent
  /// neighbours and stays zero); splat buffers need splat_rows() rows.
  struct SplatPlan {
    int threads = 1;
    int64_t points = 0, rows = 1;  // N and M + 1
    /// Per main row, its index among the shared vertices or -1 (empty for one thread).
    std::vector<int32_t> shared_index;
    /// The main row of each shared vertex.
    std::vector<int32_t> shared_rows;
    int64_t point_begin(int u) const { return points * u / threads; }
    int64_t num_shared() const { return static_cast<int64_t>(shared_rows.size()); }
    int64_t splat_rows() const { return rows + threads * num_shared(); }
    /// First private row of slot u (its copy of shared vertex k is row private_base(u) + k).
    int32_t private_base(int u) const { return static_cast<int32_t>(rows + u * num_shared()); }
    /// Where slot u's splat of a main row goes (small, for inner loops).
    struct Target {
      const int32_t* shared_index;  // null: every row is the slot's own
      int32_t base;
      int32_t row(int32_t r) const {
        if (!shared_index) return r;
        const int32_t k = shared_index[r];
        return k < 0 ? r : base + k;
      }
    };
    Target target(int u) const { return {shared_index.empty() ? nullptr : shared_index.data(), private_base(u)}; }
  };
  /// The plan for `threads` threads (made on first use; the one for the last count above one is
  /// kept, and one thread needs none). Call outside parallel regions.
  const SplatPlan& plan(int threads);

  /// Rows of the value buffers: M + 1.
  int64_t rows() const { return m_ + 1; }
  /// Per point its d+1 simplex vertices as rows of the value buffers, [N, d+1] (all >= 1).
  const int32_t* vertex_rows() const { return offset_.data(); }
  /// Per point the barycentric weights of those vertices, [N, d+1].
  const float* barycentric() const { return weight_.data(); }
  /// The factor densecrf applies in the slice (the blur's weights only approximate a Gaussian).
  float slice_factor() const;

  // The following share their work among the threads of the enclosing parallel region (every
  // thread of the team calls them; outside a parallel region they run serially).
  /// Zeroes a splat buffer (W values per row; main and private rows). No barrier.
  void zero_splat(const SplatPlan& plan, float* buffer, int64_t W) const;
  /// Sums the private rows of the shared vertices into their main rows. No barrier.
  void reduce_splat(const SplatPlan& plan, float* buffer, int64_t W) const;
  /// Blurs `values` along the d+1 lattice directions (in reverse order if `reverse`), ping-ponging
  /// with `scratch` (both [rows(), W] at least, row 0 zero); returns the one holding the result. Has
  /// a barrier before each pass and after the last, so it may follow the splat (or reduce) directly.
  float* blur(float* values, float* scratch, int64_t W, bool reverse) const;

 private:
  void ensure_workspace(const SplatPlan& plan, int64_t value_size);

  int64_t n_ = 0;  // points
  int d_ = 0;      // feature dimension
  int64_t m_ = 0;  // lattice vertices
  /// Per point, its d+1 simplex vertices (row index into the value buffers; row 0 is all zeros and
  /// stands for "no such vertex") and barycentric weights: [N, d+1].
  std::vector<int32_t> offset_;
  std::vector<float> weight_;
  /// Per direction j and vertex m, the rows of its two neighbours along j (0 if absent): [(d+1), M+1, 2].
  std::vector<int32_t> neighbours_;
  SplatPlan plan_;         // for plan_.threads > 1 threads (0: none yet)
  SplatPlan single_plan_;  // for one thread
  // Workspaces of filter(): the splat buffer [splat_rows, V] and the blur's second buffer [M+1, V],
  // each used from its first 64-byte boundary (detail::align64).
  std::vector<float> values_, scratch_;
  int64_t workspace_value_size_ = 0;
  int workspace_threads_ = 0;
};

}  // namespace beyond::crf
