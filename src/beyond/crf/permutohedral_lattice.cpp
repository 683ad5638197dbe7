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
/// in insertion order. Each slot holds its id and a copy of its key, so a probe reads one place in
/// memory (the tables outgrow the caches, and the neighbour search is mostly misses).
class KeyTable {
 public:
  void init(int key_size, int64_t expected) {
    key_size_ = key_size;
    stride_ = key_size + 1;
    size_t capacity = 64;
    while (capacity < static_cast<size_t>(2 * expected)) capacity *= 2;
    slots_.assign(capacity * stride_, -1);
    capacity_ = capacity;
    keys_.clear();
    keys_.reserve(static_cast<size_t>(expected) * key_size);
  }
  int32_t size() const { return static_cast<int32_t>(keys_.size() / key_size_); }
  const int32_t* key(int32_t id) const { return keys_.data() + static_cast<size_t>(id) * key_size_; }

  /// The id of `k`, inserting it if `create`; -1 if absent and not created.
  int32_t find(const int32_t* k, bool create) {
    if (create && 2 * static_cast<size_t>(size()) >= capacity_) grow();
    const size_t mask = capacity_ - 1;
    for (size_t h = hash(k) & mask;; h = (h + 1) & mask) {
      int32_t* slot = slots_.data() + h * stride_;
      if (slot[0] < 0) {
        if (!create) return -1;
        const int32_t id = size();
        keys_.insert(keys_.end(), k, k + key_size_);
        slot[0] = id;
        std::memcpy(slot + 1, k, sizeof(int32_t) * key_size_);
        return id;
      }
      if (equal(slot + 1, k)) return slot[0];
    }
  }
  /// Lookup without insertion (safe to call from several threads at once).
  int32_t lookup(const int32_t* k) const {
    const size_t mask = capacity_ - 1;
    for (size_t h = hash(k) & mask;; h = (h + 1) & mask) {
      const int32_t* slot = slots_.data() + h * stride_;
      if (slot[0] < 0) return -1;
      if (equal(slot + 1, k)) return slot[0];
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
    capacity_ *= 2;
    slots_.assign(capacity_ * stride_, -1);
    const size_t mask = capacity_ - 1;
    for (int32_t id = 0, n = size(); id < n; ++id) {
      size_t h = hash(key(id)) & mask;
      while (slots_[h * stride_] >= 0) h = (h + 1) & mask;
      slots_[h * stride_] = id;
      std::memcpy(slots_.data() + h * stride_ + 1, key(id), sizeof(int32_t) * key_size_);
    }
  }

  int key_size_ = 1, stride_ = 2;
  size_t capacity_ = 0;
  std::vector<int32_t> slots_;  // [capacity, 1 + key_size]: id (-1: empty), key
  std::vector<int32_t> keys_;   // [size, key_size], by id
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
/// d = kD when kD > 0 (the loops unroll), else `dim`. Branch-free: the comparisons of the ranking
/// are as likely one way as the other, and mispredicted branches made this the build's main cost.
template <int kD>
inline void locate(const float* f, int dim, const float* scale, Simplex& s) {
  const int d = kD > 0 ? kD : dim, d1 = d + 1;
  const float down = 1.0f / static_cast<float>(d1);
  float elevated[kMaxDim + 1], residual[kMaxDim + 1];
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
    residual[i] = elevated[i] - static_cast<float>(s.rem0[i]);
  }
  // Rank of each coordinate's residual; then move the point back onto the plane if the rounding
  // left it off (sum != 0).
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j <= d; ++j) {
      const int32_t less = residual[i] < residual[j];
      s.rank[i] += less;
      s.rank[j] += 1 - less;
    }
  for (int i = 0; i <= d; ++i) {
    const int32_t r = s.rank[i] + sum;
    const int32_t shift = d1 * ((r < 0) - (r > d));
    s.rank[i] = r + shift;
    s.rem0[i] += shift;
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

/// Recently seen simplices with their vertex ids, direct-mapped, in front of the key table: points
/// near each other (in the previous image row, or back in a region of similar colour) often share
/// a simplex, and one probe here replaces d+1 probes of the much larger key table.
class SimplexCache {
 public:
  explicit SimplexCache(int d) : d1_(d + 1), stride_(3 * (d + 1)), entries_(static_cast<size_t>(kSize) * stride_, -1) {}
  /// The vertex ids of `s` if cached, else null (and `slot` is where to store them).
  const int32_t* find(const Simplex& s, int32_t*& slot) {
    uint64_t h = 0;
    for (int i = 0; i < d1_; ++i)
      h += (static_cast<uint64_t>(static_cast<uint32_t>(s.rem0[i])) * 32 + static_cast<uint64_t>(s.rank[i])) * kOdd[i];
    h ^= h >> 29;
    int32_t* e = entries_.data() + static_cast<size_t>((h * 0x9E3779B97F4A7C15ull) >> (64 - kBits)) * stride_;
    int32_t diff = e[d1_] < 0;  // an empty entry (ranks are >= 0)
    for (int i = 0; i < d1_; ++i) diff |= (e[i] ^ s.rem0[i]) | (e[d1_ + i] ^ s.rank[i]);
    if (diff == 0) return e + 2 * d1_;
    slot = e;
    return nullptr;
  }
  void store(int32_t* slot, const Simplex& s, const int32_t* ids) const {
    std::memcpy(slot, s.rem0, sizeof(int32_t) * d1_);
    std::memcpy(slot + d1_, s.rank, sizeof(int32_t) * d1_);
    std::memcpy(slot + 2 * d1_, ids, sizeof(int32_t) * d1_);
  }

 private:
  static constexpr int kBits = 12;
  static constexpr int kSize = 1 << kBits;
  static constexpr uint64_t kOdd[kMaxDim + 1] = {
      0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull, 0xD6E8FEB86659FD93ull,
      0xFF51AFD7ED558CCDull, 0xC4CEB9FE1A85EC53ull, 0x94D049BB133111EBull, 0xBF58476D1CE4E5B9ull,
      0x2545F4914F6CDD1Dull, 0x9FB21C651E98DF25ull, 0xD1B54A32D192ED03ull, 0xAEF17502108EF2D9ull,
      0xDB4F0B9175AE2165ull, 0xE7037ED1A0B428DBull, 0x8EBC6AF09C88C6E3ull, 0x589965CC75374CC3ull,
      0x1D8E4E27C47D124Full};
  int d1_, stride_;
  std::vector<int32_t> entries_;  // per entry: rem0[d+1], rank[d+1], vertex ids[d+1]
};

/// Locates the points [first, last), numbers their vertices in `table` and writes their vertex rows
/// (id + 1: row 0 of the value buffers is the zero row of absent neighbours) and barycentric
/// weights ([N, d+1] arrays). d = kD when kD > 0, else `dim`.
template <int kD>
void locate_points(const float* features, int dim, const float* scale, int64_t first, int64_t last, KeyTable& table,
                   int32_t* offsets, float* weights) {
  const int d = kD > 0 ? kD : dim, d1 = d + 1;
  Simplex s{}, previous{};
  bool have_previous = false;
  SimplexCache cache(d);
  int32_t key[kMaxDim];
  for (int64_t p = first; p < last; ++p) {
    locate<kD>(features + p * d, d, scale, s);
    int32_t* offset = offsets + p * d1;
    // Neighbouring pixels usually share a simplex: their vertices need no new lookups.
    if (have_previous && same_simplex(s, previous, d)) {
      std::memcpy(offset, offset - d1, sizeof(int32_t) * d1);
    } else {
      int32_t* slot = nullptr;
      if (const int32_t* ids = cache.find(s, slot)) {
        std::memcpy(offset, ids, sizeof(int32_t) * d1);
      } else {
        for (int r = 0; r <= d; ++r) {
          vertex_key(s, d, r, key);
          offset[r] = table.find(key, true) + 1;  // row 0 is the zero row: vertex m lives in row m + 1
        }
        cache.store(slot, s, offset);
      }
      previous = s;
      have_previous = true;
    }
    std::memcpy(weights + p * d1, s.barycentric, sizeof(float) * d1);
  }
}

int threads_for(int64_t work, int64_t grain) {
  const int64_t most = std::max<int64_t>(1, work / grain);
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), most));
}

// ---- The filter's inner loops, over one range of points or vertices (BEYOND_CRF_KERNEL: compiled
// for AVX2 + FMA and the baseline; the row widths of DenseCRF's padded label rows are fixed at
// compile time, see BEYOND_CRF_DISPATCH_WIDTH).

using SplatPlan = PermutohedralLattice::SplatPlan;

template <int kW>
BEYOND_CRF_ROW void splat_points_t(const float* in, const float* in_scale, const int32_t* offset, const float* weight,
                                   int d1, int64_t p0, int64_t p1, const SplatPlan& plan, int u, float* buffer,
                                   int64_t w) {
  const int64_t W = kW > 0 ? kW : w;
  const SplatPlan::Target target = plan.target(u);
  for (int64_t p = p0; p < p1; ++p) {
    const float s = in_scale ? in_scale[p] : 1.0f;
    for (int r = 0; r < d1; ++r) {
      const int64_t row = target.row(offset[p * d1 + r]);
      row_axpy<kW>(buffer + row * W, weight[p * d1 + r] * s, in + p * W, W);
    }
  }
}

/// Splats the rows of `in` ([N, W]) of points [p0, p1) into `buffer` as plan slot u.
BEYOND_CRF_KERNEL void splat_points(const float* in, const float* in_scale, const int32_t* offset, const float* weight,
                                    int d1, int64_t p0, int64_t p1, const SplatPlan& plan, int u, float* buffer,
                                    int64_t W) {
#define CALL(K) splat_points_t<K>(in, in_scale, offset, weight, d1, p0, p1, plan, u, buffer, W)
  BEYOND_CRF_DISPATCH_WIDTH(W, CALL)
#undef CALL
}

template <int kW>
BEYOND_CRF_ROW void blur_rows_t(const float* old_values, float* __restrict new_values, const int32_t* neighbours,
                                int64_t v0, int64_t v1, int64_t w) {
  const int64_t W = kW > 0 ? kW : w;
  for (int64_t v = v0; v < v1; ++v) {
    const float* self = old_values + v * W;
    const float* a = old_values + static_cast<int64_t>(neighbours[2 * v]) * W;
    const float* b = old_values + static_cast<int64_t>(neighbours[2 * v + 1]) * W;
    float* out = new_values + v * W;
#pragma omp simd
    for (int64_t k = 0; k < W; ++k) out[k] = self[k] + 0.5f * (a[k] + b[k]);
  }
}

/// One blur pass along one lattice direction over vertex rows [v0, v1) of width W.
BEYOND_CRF_KERNEL void blur_rows(const float* old_values, float* __restrict new_values, const int32_t* neighbours,
                                 int64_t v0, int64_t v1, int64_t W) {
#define CALL(K) blur_rows_t<K>(old_values, new_values, neighbours, v0, v1, W)
  BEYOND_CRF_DISPATCH_WIDTH(W, CALL)
#undef CALL
}

template <int kW>
BEYOND_CRF_ROW void slice_points_t(const float* values, const int32_t* offset, const float* weight, int d1, float alpha,
                                   int64_t p0, int64_t p1, float* out, const float* out_scale, float out_weight,
                                   bool accumulate, int64_t w) {
  const int64_t W = kW > 0 ? kW : w;
  for (int64_t p = p0; p < p1; ++p) {
    const float s = alpha * out_weight * (out_scale ? out_scale[p] : 1.0f);
    float* target = out + p * W;
    if constexpr (kW > 0) {
      // The sum stays in registers; one write per point.
      float acc[kW > 0 ? kW : 1];
      row_scale<kW>(acc, weight[p * d1], values + static_cast<int64_t>(offset[p * d1]) * W, W);
      for (int r = 1; r < d1; ++r)
        row_axpy<kW>(acc, weight[p * d1 + r], values + static_cast<int64_t>(offset[p * d1 + r]) * W, W);
      if (accumulate)
        row_axpy<kW>(target, s, acc, W);
      else
        row_scale<kW>(target, s, acc, W);
    } else {
      // Any width: the scale is distributed over the vertices, the sum kept in the output row.
      int r = 0;
      if (!accumulate) {
        row_scale<0>(target, s * weight[p * d1], values + static_cast<int64_t>(offset[p * d1]) * W, W);
        r = 1;
      }
      for (; r < d1; ++r)
        row_axpy<0>(target, s * weight[p * d1 + r], values + static_cast<int64_t>(offset[p * d1 + r]) * W, W);
    }
  }
}

/// Slices the vertex rows of width W back to the rows of `out` ([N, W]) of points [p0, p1).
BEYOND_CRF_KERNEL void slice_points(const float* values, const int32_t* offset, const float* weight, int d1,
                                    float alpha, int64_t p0, int64_t p1, float* out, const float* out_scale,
                                    float out_weight, bool accumulate, int64_t W) {
#define CALL(K) slice_points_t<K>(values, offset, weight, d1, alpha, p0, p1, out, out_scale, out_weight, accumulate, W)
  BEYOND_CRF_DISPATCH_WIDTH(W, CALL)
#undef CALL
}

/// The share [begin, end) of `count` items of thread t of `team`.
std::pair<int64_t, int64_t> share(int64_t count, int t, int team) {
  return {count * t / team, count * (t + 1) / team};
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
  plan_ = SplatPlan{};
  plan_.threads = 0;  // no plan yet
  assign_fresh(offset_, static_cast<size_t>(n_) * d1, 0);
  assign_fresh(weight_, static_cast<size_t>(n_) * d1, 0.0f);

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
    // Started small: it grows to a few times the vertex count, which stays in cache better than a
    // table sized for the points (dense CRFs have 5-15 times fewer vertices than pixels).
    table.init(dim, 1024);
    int32_t* offsets = offset_.data();
    float* weights = weight_.data();
    switch (dim) {
      case 2: locate_points<2>(features, dim, scale, begin[t], begin[t + 1], table, offsets, weights); break;
      case 3: locate_points<3>(features, dim, scale, begin[t], begin[t + 1], table, offsets, weights); break;
      case 5: locate_points<5>(features, dim, scale, begin[t], begin[t + 1], table, offsets, weights); break;
      default: locate_points<0>(features, dim, scale, begin[t], begin[t + 1], table, offsets, weights); break;
    }
  }
  KeyTable& global = tables[0];
  for (int t = 1; t < threads; ++t) {
    std::vector<int32_t> remap(tables[t].size());
    for (int32_t id = 0; id < tables[t].size(); ++id) remap[id] = global.find(tables[t].key(id), true);
    int32_t* first = offset_.data() + begin[t] * d1;
    int32_t* last = offset_.data() + begin[t + 1] * d1;
    for (int32_t* o = first; o != last; ++o) *o = remap[*o - 1] + 1;
    tables[t] = KeyTable();
  }
  m_ = global.size();

  // Neighbours of each vertex along each of the d+1 lattice directions: the vertex -1 in every
  // coordinate but +d in coordinate j, and its opposite. Only the first is looked up: if w is v's
  // first neighbour along j, v is w's second (each w is reached from one v, so the writes of
  // different threads never meet).
  neighbours_.assign(static_cast<size_t>(d1) * (m_ + 1) * 2, 0);
  const int neighbour_threads = threads_for(m_, 4096);
#pragma omp parallel for num_threads(neighbour_threads) schedule(static)
  for (int64_t m = 0; m < m_; ++m) {
    int32_t n1[kMaxDim];
    const int32_t* key = global.key(static_cast<int32_t>(m));
    for (int j = 0; j <= dim; ++j) {
      for (int k = 0; k < dim; ++k) n1[k] = key[k] - 1;
      if (j < dim) n1[j] = key[j] + dim;
      int32_t* direction = neighbours_.data() + static_cast<size_t>(j) * (m_ + 1) * 2;
      const int32_t w = global.lookup(n1);
      direction[(m + 1) * 2] = w + 1;
      if (w >= 0) direction[(static_cast<int64_t>(w) + 1) * 2 + 1] = static_cast<int32_t>(m + 1);
    }
  }
}

void PermutohedralLattice::release_workspace() {
  std::vector<float>().swap(values_);
  std::vector<float>().swap(scratch_);
  workspace_value_size_ = 0;
  workspace_threads_ = 0;
}

size_t PermutohedralLattice::memory_bytes() const {
  return offset_.capacity() * sizeof(int32_t) + weight_.capacity() * sizeof(float) +
         neighbours_.capacity() * sizeof(int32_t) +
         (plan_.shared_index.capacity() + plan_.shared_rows.capacity()) * sizeof(int32_t) +
         (values_.capacity() + scratch_.capacity()) * sizeof(float);
}

float PermutohedralLattice::slice_factor() const { return 1.0f / (1.0f + std::pow(2.0f, -static_cast<float>(d_))); }

const PermutohedralLattice::SplatPlan& PermutohedralLattice::plan(int threads) {
  BEYOND_CHECK(threads >= 1, "PermutohedralLattice::plan: needs at least one thread, got ", threads);
  if (threads == 1) {  // nothing shared; kept apart, so alternating with another count costs nothing
    single_plan_.points = n_;
    single_plan_.rows = m_ + 1;
    return single_plan_;
  }
  if (plan_.threads == threads && plan_.points == n_ && plan_.rows == m_ + 1) return plan_;
  SplatPlan p;
  p.threads = threads;
  p.points = n_;
  p.rows = m_ + 1;
  // Which slots reach each vertex (one byte per slot and row), then number the shared vertices.
  const int d1 = d_ + 1;
  std::vector<uint8_t> touched(static_cast<size_t>(threads) * p.rows, 0);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int u = 0; u < threads; ++u) {
    uint8_t* mark = touched.data() + static_cast<size_t>(u) * p.rows;
    for (int64_t i = p.point_begin(u) * d1; i < p.point_begin(u + 1) * d1; ++i) mark[offset_[i]] = 1;
  }
  p.shared_index.assign(static_cast<size_t>(p.rows), -1);
  for (int64_t v = 1; v < p.rows; ++v) {
    int slots = 0;
    for (int u = 0; u < threads; ++u) slots += touched[static_cast<size_t>(u) * p.rows + v];
    if (slots > 1) {
      p.shared_index[v] = static_cast<int32_t>(p.shared_rows.size());
      p.shared_rows.push_back(static_cast<int32_t>(v));
    }
  }
  BEYOND_CHECK(p.splat_rows() < (int64_t{1} << 31), "PermutohedralLattice: too many vertices for ", threads,
               " threads (", p.splat_rows(), " splat rows)");
  plan_ = std::move(p);
  return plan_;
}

void PermutohedralLattice::zero_splat(const SplatPlan& plan, float* buffer, int64_t W) const {
  const auto [b, e] = detail::share(plan.splat_rows() - 1, omp_get_thread_num(), omp_get_num_threads());
  std::fill(buffer + (1 + b) * W, buffer + (1 + e) * W, 0.0f);
}

void PermutohedralLattice::reduce_splat(const SplatPlan& plan, float* buffer, int64_t W) const {
  const auto [k0, k1] = detail::share(plan.num_shared(), omp_get_thread_num(), omp_get_num_threads());
  for (int64_t k = k0; k < k1; ++k) {
    float* main = buffer + static_cast<int64_t>(plan.shared_rows[k]) * W;
    std::copy_n(buffer + (plan.private_base(0) + k) * W, W, main);
    for (int u = 1; u < plan.threads; ++u) {
      const float* own = buffer + (plan.private_base(u) + k) * W;
      for (int64_t i = 0; i < W; ++i) main[i] += own[i];
    }
  }
}

float* PermutohedralLattice::blur(float* values, float* scratch, int64_t W, bool reverse) const {
  const auto [v0, v1] = detail::share(m_, omp_get_thread_num(), omp_get_num_threads());
  const size_t rows = static_cast<size_t>(m_ + 1);
  for (int step = 0; step <= d_; ++step) {
    const int j = reverse ? d_ - step : step;
#pragma omp barrier
    detail::blur_rows(values, scratch, neighbours_.data() + static_cast<size_t>(j) * rows * 2, 1 + v0, 1 + v1, W);
    std::swap(values, scratch);
  }
#pragma omp barrier
  return values;
}

void PermutohedralLattice::ensure_workspace(const SplatPlan& plan, int64_t value_size) {
  if (value_size == workspace_value_size_ && plan.threads == workspace_threads_) return;
  values_.assign(static_cast<size_t>(plan.splat_rows() * value_size) + detail::kAlignSlack, 0.0f);
  // The blur's second buffer (row 0 stays zero).
  scratch_.assign(static_cast<size_t>((m_ + 1) * value_size) + detail::kAlignSlack, 0.0f);
  workspace_value_size_ = value_size;
  workspace_threads_ = plan.threads;
}

void PermutohedralLattice::filter(const float* in, float* out, int64_t value_size, const FilterOptions& o) {
  BEYOND_CHECK(value_size >= 1, "PermutohedralLattice::filter: value_size must be positive, got ", value_size);
  if (n_ == 0) return;
  // Threads split the points (splat, slice) and the vertices (blur); see the header.
  const int threads = o.threads > 0 ? o.threads : detail::threads_for(n_ * value_size, 65536);
  const SplatPlan& p = plan(threads);
  ensure_workspace(p, value_size);
  const int d1 = d_ + 1;
  const float alpha = slice_factor();
  float* values = detail::align64(values_.data());
  float* scratch = detail::align64(scratch_.data());
  // The splat reads all of `in` before the first barrier of the blur and the slice writes `out`
  // after the last, so filtering in place is safe.
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    zero_splat(p, values, value_size);
#pragma omp barrier
    for (int u = t; u < p.threads; u += team)
      detail::splat_points(in, o.in_scale, offset_.data(), weight_.data(), d1, p.point_begin(u), p.point_begin(u + 1), p,
                           u, values, value_size);
#pragma omp barrier
    reduce_splat(p, values, value_size);
    const float* result = blur(values, scratch, value_size, o.reverse);
    for (int u = t; u < p.threads; u += team)
      detail::slice_points(result, offset_.data(), weight_.data(), d1, alpha, p.point_begin(u), p.point_begin(u + 1),
                           out, o.out_scale, o.out_weight, o.accumulate, value_size);
  }
}

}  // namespace beyond::crf
