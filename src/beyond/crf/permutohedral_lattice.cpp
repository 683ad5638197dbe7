#include "beyond/crf/permutohedral_lattice.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "beyond/core/error.h"
#include "beyond/crf/vector_math.h"

namespace beyond::crf {
namespace detail {
namespace {

constexpr int kMaxDim = 16;

/// Lattice vertices by their integer key (the first d of the d+1 coordinates; the last is implied
/// because the coordinates sum to zero), with open addressing and linear probing. Ids are dense,
/// in insertion order.
class KeyTable {
 public:
  void init(int key_size, int64_t expected) {
    key_size_ = key_size;
    size_t capacity = 64;
    while (capacity < static_cast<size_t>(2 * expected)) capacity *= 2;
    slots_.assign(capacity, -1);
    keys_.clear();
    keys_.reserve(static_cast<size_t>(expected) * key_size);
  }
  int32_t size() const { return static_cast<int32_t>(keys_.size() / key_size_); }
  const int32_t* key(int32_t id) const { return keys_.data() + static_cast<size_t>(id) * key_size_; }

  /// The id of `k`, inserting it if `create`; -1 if absent and not created.
  int32_t find(const int32_t* k, bool create) {
    if (create && 2 * static_cast<size_t>(size()) >= slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t h = hash(k) & mask;; h = (h + 1) & mask) {
      const int32_t e = slots_[h];
      if (e < 0) {
        if (!create) return -1;
        const int32_t id = size();
        keys_.insert(keys_.end(), k, k + key_size_);
        slots_[h] = id;
        return id;
      }
      if (equal(key(e), k)) return e;
    }
  }
  /// Lookup without insertion (safe to call from several threads at once).
  int32_t lookup(const int32_t* k) const {
    const size_t mask = slots_.size() - 1;
    for (size_t h = hash(k) & mask;; h = (h + 1) & mask) {
      const int32_t e = slots_[h];
      if (e < 0) return -1;
      if (equal(key(e), k)) return e;
    }
  }

 private:
  bool equal(const int32_t* a, const int32_t* b) const {
    int32_t diff = 0;
    for (int i = 0; i < key_size_; ++i) diff |= a[i] ^ b[i];
    return diff == 0;
  }
  size_t hash(const int32_t* k) const {
    uint64_t h = 0;
    for (int i = 0; i < key_size_; ++i) h = (h + static_cast<uint32_t>(k[i])) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  void grow() {
    std::vector<int32_t> old(slots_.size() * 2, -1);
    slots_.swap(old);
    const size_t mask = slots_.size() - 1;
    for (int32_t id = 0, n = size(); id < n; ++id) {
      size_t h = hash(key(id)) & mask;
      while (slots_[h] >= 0) h = (h + 1) & mask;
      slots_[h] = id;
    }
  }

  int key_size_ = 1;
  std::vector<int32_t> slots_;
  std::vector<int32_t> keys_;
};

/// Where one point lies in the lattice: the remainder-0 vertex, the ordering (rank) of its
/// coordinates and the barycentric weights of the d+1 simplex vertices (Adams et al. 2010, sec. 3-4).
struct Simplex {
  int32_t rem0[kMaxDim + 1];
  int32_t rank[kMaxDim + 1];
  float barycentric[kMaxDim + 2];
};

/// Elevates feature `f` onto the hyperplane sum(x) = 0 of R^{d+1} (scaled so that the blur has
/// the standard deviation of the unit Gaussian), finds the enclosing simplex and its weights.
void locate(const float* f, int d, const float* scale, Simplex& s) {
  const int d1 = d + 1;
  const float down = 1.0f / static_cast<float>(d1);
  float elevated[kMaxDim + 1];
  float sm = 0;
  for (int j = d; j > 0; --j) {
    const float cf = f[j - 1] * scale[j - 1];
    elevated[j] = sm - static_cast<float>(j) * cf;
    sm += cf;
  }
  elevated[0] = sm;
  // Nearest remainder-0 point: each coordinate rounded to a multiple of d+1 (ties to even).
  int sum = 0;
  for (int i = 0; i <= d; ++i) {
    const float v = round_even(down * elevated[i]);
    s.rem0[i] = static_cast<int32_t>(v) * d1;
    sum += static_cast<int>(v);
    s.rank[i] = 0;
  }
  // Rank of each coordinate's residual; then move the point back onto the plane if the rounding
  // left it off (sum != 0).
  for (int i = 0; i < d; ++i) {
    const float di = elevated[i] - static_cast<float>(s.rem0[i]);
    for (int j = i + 1; j <= d; ++j) {
      if (di < elevated[j] - static_cast<float>(s.rem0[j]))
        ++s.rank[i];
      else
        ++s.rank[j];
    }
  }
  for (int i = 0; i <= d; ++i) {
    s.rank[i] += sum;
    if (s.rank[i] < 0) {
      s.rank[i] += d1;
      s.rem0[i] += d1;
    } else if (s.rank[i] > d) {
      s.rank[i] -= d1;
      s.rem0[i] -= d1;
    }
  }
  for (int i = 0; i <= d + 1; ++i) s.barycentric[i] = 0;
  for (int i = 0; i <= d; ++i) {
    const float v = (elevated[i] - static_cast<float>(s.rem0[i])) * down;
    s.barycentric[d - s.rank[i]] += v;
    s.barycentric[d - s.rank[i] + 1] -= v;
  }
  s.barycentric[0] += 1.0f + s.barycentric[d + 1];
}

/// Key (first d coordinates) of the simplex vertex with the given remainder.
void vertex_key(const Simplex& s, int d, int remainder, int32_t* key) {
  for (int i = 0; i < d; ++i) key[i] = s.rem0[i] + (s.rank[i] <= d - remainder ? remainder : remainder - (d + 1));
}

bool same_simplex(const Simplex& a, const Simplex& b, int d) {
  int32_t diff = 0;
  for (int i = 0; i <= d; ++i) diff |= (a.rem0[i] ^ b.rem0[i]) | (a.rank[i] ^ b.rank[i]);
  return diff == 0;
}

int threads_for(int64_t work, int64_t grain) {
  const int64_t most = std::max<int64_t>(1, work / grain);
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), most));
}

// ---- The filter's inner loops, over one range of points or vertices (BEYOND_CRF_KERNEL: compiled
// for AVX2 + FMA and the baseline). Rows whose length is a multiple of 8 (or 4) take loops of whole
// vectors with no scalar tail (DenseCRF pads its label rows for this).

/// y[0, V) += a * x[0, V)
inline void axpy(float* __restrict y, float a, const float* __restrict x, int64_t V) {
  if (V % 8 == 0) {
    for (int64_t b = 0; b < V; b += 8)
      for (int k = 0; k < 8; ++k) y[b + k] += a * x[b + k];
  } else if (V % 4 == 0) {
    for (int64_t b = 0; b < V; b += 4)
      for (int k = 0; k < 4; ++k) y[b + k] += a * x[b + k];
  } else {
    for (int64_t k = 0; k < V; ++k) y[k] += a * x[k];
  }
}

/// Splats columns [0, W) of the rows of `in` (row stride `stride`) into `buffer` (rows of W).
BEYOND_CRF_KERNEL void splat_points(const float* in, int64_t stride, const float* in_scale, const int32_t* offset,
                                    const float* weight, int d1, int64_t n, float* buffer, int64_t W) {
  for (int64_t p = 0; p < n; ++p) {
    const float s = in_scale ? in_scale[p] : 1.0f;
    for (int r = 0; r < d1; ++r)
      axpy(buffer + static_cast<int64_t>(offset[p * d1 + r]) * W, weight[p * d1 + r] * s, in + p * stride, W);
  }
}

/// One blur pass along one lattice direction over vertex rows [1, m] of width W.
BEYOND_CRF_KERNEL void blur_vertices(const float* old_values, float* __restrict new_values, const int32_t* neighbours,
                                     int64_t m, int64_t W) {
  for (int64_t v = 1; v <= m; ++v) {
    const float* self = old_values + v * W;
    const float* a = old_values + static_cast<int64_t>(neighbours[2 * v]) * W;
    const float* b = old_values + static_cast<int64_t>(neighbours[2 * v + 1]) * W;
    float* out = new_values + v * W;
    for (int64_t k = 0; k < W; ++k) out[k] = self[k] + 0.5f * (a[k] + b[k]);
  }
}

/// Slices vertex rows of width W back to columns [0, W) of the rows of `out` (row stride `stride`).
BEYOND_CRF_KERNEL void slice_points(const float* values, const int32_t* offset, const float* weight, int d1,
                                    float alpha, int64_t n, float* out, int64_t stride, int64_t W,
                                    const float* out_scale, float out_weight, bool accumulate, float* __restrict acc) {
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t k = 0; k < W; ++k) acc[k] = 0.0f;
    for (int r = 0; r < d1; ++r)
      axpy(acc, weight[p * d1 + r] * alpha, values + static_cast<int64_t>(offset[p * d1 + r]) * W, W);
    const float s = out_weight * (out_scale ? out_scale[p] : 1.0f);
    float* target = out + p * stride;
    if (accumulate) {
      for (int64_t k = 0; k < W; ++k) target[k] += s * acc[k];
    } else {
      for (int64_t k = 0; k < W; ++k) target[k] = s * acc[k];
    }
  }
}

}  // namespace
}  // namespace detail

void PermutohedralLattice::build(const float* features, int64_t num_points, int dim) {
  using namespace detail;
  BEYOND_CHECK(dim >= 1 && dim <= kMaxDim, "PermutohedralLattice: feature dimension must be in [1, ", kMaxDim,
               "], got ", dim);
  BEYOND_CHECK(num_points >= 0 && num_points <= (int64_t{1} << 31) / (dim + 1) - 2,
               "PermutohedralLattice: ", num_points, " points is out of range");
  BEYOND_CHECK(num_points == 0 || features, "PermutohedralLattice: null features");
  // Keys are int32: features beyond ~1e8 lattice units would overflow them. (A branch-free pass
  // first; the loop that names the culprit runs only when it fails. NaN fails the comparison.)
  bool in_range = true;
  for (int64_t i = 0; i < num_points * dim; ++i) in_range &= std::fabs(features[i]) < 1e7f;
  for (int64_t i = 0; !in_range && i < num_points * dim; ++i)
    BEYOND_CHECK(std::fabs(features[i]) < 1e7f, "PermutohedralLattice: feature ", i % dim, " of point ", i / dim,
                 " is ", features[i], " (must be finite and below 1e7 in magnitude)");
  n_ = num_points;
  d_ = dim;
  const int d1 = dim + 1;
  release_workspace();
  offset_.assign(static_cast<size_t>(n_) * d1, 0);
  weight_.assign(static_cast<size_t>(n_) * d1, 0.0f);

  // Diagonal of the elevation matrix E (Adams et al. p. 5), times the inverse of the blur's standard
  // deviation (p. 6), so that splat-blur-slice approximates a unit-variance Gaussian.
  float scale[kMaxDim];
  const double inv_std_dev = std::sqrt(2.0 / 3.0) * d1;
  for (int i = 0; i < dim; ++i) scale[i] = static_cast<float>(inv_std_dev / std::sqrt(double((i + 1) * (i + 2))));

  // Each thread locates a contiguous block of points and numbers their vertices in its own table;
  // the tables are then merged into one (ids of the first table stay) and the ids remapped.
  const int threads = threads_for(n_, 16384);
  std::vector<KeyTable> tables(threads);
  std::vector<int64_t> begin(threads + 1);
  for (int t = 0; t <= threads; ++t) begin[t] = n_ * t / threads;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    KeyTable& table = tables[t];
    table.init(dim, std::max<int64_t>(64, (begin[t + 1] - begin[t]) / 4));
    Simplex s{}, previous{};
    bool have_previous = false;
    int32_t key[kMaxDim];
    for (int64_t p = begin[t]; p < begin[t + 1]; ++p) {
      locate(features + p * dim, dim, scale, s);
      int32_t* offset = offset_.data() + p * d1;
      // Neighbouring pixels usually share a simplex: their vertices need no new lookups.
      if (have_previous && same_simplex(s, previous, dim)) {
        std::memcpy(offset, offset - d1, sizeof(int32_t) * d1);
      } else {
        for (int r = 0; r <= dim; ++r) {
          vertex_key(s, dim, r, key);
          offset[r] = table.find(key, true);
        }
        previous = s;
        have_previous = true;
      }
      std::memcpy(weight_.data() + p * d1, s.barycentric, sizeof(float) * d1);
    }
  }
  KeyTable& global = tables[0];
  for (int t = 1; t < threads; ++t) {
    std::vector<int32_t> remap(tables[t].size());
    for (int32_t id = 0; id < tables[t].size(); ++id) remap[id] = global.find(tables[t].key(id), true);
    int32_t* first = offset_.data() + begin[t] * d1;
    int32_t* last = offset_.data() + begin[t + 1] * d1;
    for (int32_t* o = first; o != last; ++o) *o = remap[*o];
    tables[t] = KeyTable();
  }
  m_ = global.size();
  // Row 0 of the value buffers is the zero row of absent neighbours: vertex m lives in row m + 1.
  for (auto& o : offset_) ++o;

  // Neighbours of each vertex along each of the d+1 lattice directions: the vertex -1 in every
  // coordinate but +d in coordinate j, and its opposite.
  neighbours_.assign(static_cast<size_t>(d1) * (m_ + 1) * 2, 0);
  const int neighbour_threads = threads_for(m_, 4096);
#pragma omp parallel for num_threads(neighbour_threads) schedule(static)
  for (int64_t m = 0; m < m_; ++m) {
    int32_t n1[kMaxDim], n2[kMaxDim];
    const int32_t* key = global.key(static_cast<int32_t>(m));
    for (int j = 0; j <= dim; ++j) {
      for (int k = 0; k < dim; ++k) {
        n1[k] = key[k] - 1;
        n2[k] = key[k] + 1;
      }
      if (j < dim) {
        n1[j] = key[j] + dim;
        n2[j] = key[j] - dim;
      }
      int32_t* out = neighbours_.data() + (static_cast<size_t>(j) * (m_ + 1) + m + 1) * 2;
      out[0] = global.lookup(n1) + 1;
      out[1] = global.lookup(n2) + 1;
    }
  }
}

void PermutohedralLattice::release_workspace() {
  std::vector<float>().swap(values_);
  std::vector<float>().swap(scratch_);
  std::vector<float>().swap(slice_rows_);
  workspace_value_size_ = 0;
  workspace_threads_ = 0;
}

size_t PermutohedralLattice::memory_bytes() const {
  return offset_.capacity() * sizeof(int32_t) + weight_.capacity() * sizeof(float) +
         neighbours_.capacity() * sizeof(int32_t) +
         (values_.capacity() + scratch_.capacity() + slice_rows_.capacity()) * sizeof(float);
}

std::pair<int64_t, int64_t> PermutohedralLattice::columns(int64_t value_size, int thread, int threads) {
  // Whole groups of 4 columns where the rows allow, so each thread's rows stay vector-sized.
  const int64_t unit = value_size % 4 == 0 ? 4 : 1, units = value_size / unit;
  return {unit * (units * thread / threads), unit * (units * (thread + 1) / threads)};
}

void PermutohedralLattice::ensure_workspace(int64_t value_size, int threads) {
  if (value_size == workspace_value_size_ && threads == workspace_threads_) return;
  // Thread t owns columns [c0, c1) of the values: its rows of width c1 - c0 start at (M+1) * c0.
  const size_t size = static_cast<size_t>(m_ + 1) * value_size;
  values_.assign(size, 0.0f);
  scratch_.assign(size, 0.0f);  // the blur's second buffer (its row 0 stays zero)
  slice_rows_.assign(static_cast<size_t>(value_size), 0.0f);
  workspace_value_size_ = value_size;
  workspace_threads_ = threads;
}

void PermutohedralLattice::filter(const float* in, float* out, int64_t value_size, const FilterOptions& o) {
  BEYOND_CHECK(value_size >= 1, "PermutohedralLattice::filter: value_size must be positive, got ", value_size);
  if (n_ == 0) return;
  // Threads split the value columns (labels), not the points: each runs splat, all blur passes and
  // slice on its own columns with no synchronisation, which keeps a loaded machine from stalling
  // at barriers, needs no per-thread splat copies, and gives the same sums whatever the threads.
  const int64_t max_split = value_size % 4 == 0 ? value_size / 4 : value_size;
  const int threads = static_cast<int>(std::min<int64_t>(detail::threads_for(n_ * value_size, 65536), max_split));
  ensure_workspace(value_size, threads);
  const int d1 = d_ + 1;
  // The blur's weights (1/2, 1, 1/2) only approximate a Gaussian; this is the factor densecrf applies.
  const float alpha = 1.0f / (1.0f + std::pow(2.0f, -static_cast<float>(d_)));
  const size_t rows = static_cast<size_t>(m_ + 1);
  // A thread reads and writes only its own columns of `in` and `out`, so filtering in place is safe.
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const auto [c0, c1] = columns(value_size, t, threads);
    const int64_t W = c1 - c0;
    if (W > 0) {
      float* values = values_.data() + rows * c0;
      float* scratch = scratch_.data() + rows * c0;
      std::fill(values, values + rows * W, 0.0f);
      detail::splat_points(in + c0, value_size, o.in_scale, offset_.data(), weight_.data(), d1, n_, values, W);
      for (int step = 0; step <= d_; ++step) {
        const int j = o.reverse ? d_ - step : step;
        detail::blur_vertices(values, scratch, neighbours_.data() + static_cast<size_t>(j) * rows * 2, m_, W);
        std::swap(values, scratch);
      }
      detail::slice_points(values, offset_.data(), weight_.data(), d1, alpha, n_, out + c0, value_size, W, o.out_scale,
                           o.out_weight, o.accumulate, slice_rows_.data() + c0);
    }
  }
}

}  // namespace beyond::crf
