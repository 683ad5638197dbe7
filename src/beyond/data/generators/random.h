#pragma once
/// A small random generator for the data generators: splitmix64-seeded xoshiro256**, with its own
/// uniform / normal transforms. The standard library's distributions are implementation-defined, so
/// a generator built on them would give other bytes on another compiler; this one gives the same
/// numbers everywhere, and one instance per image lets images be drawn in parallel.
///
///   Random rng(Random::mix({seed, split_id, index}));
///   double scale = rng.uniform(0.5, 2.0);
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace beyond::data {

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : state_) s = splitmix(x);
  }

  /// One 64-bit seed from several (e.g. the run's seed, the split and the image index), so that the
  /// streams of different images are unrelated.
  static uint64_t mix(std::initializer_list<uint64_t> parts) {
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (uint64_t p : parts) {
      uint64_t x = h ^ (p + 0x9e3779b97f4a7c15ULL);
      h = splitmix(x);
    }
    return h;
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Log-uniform in [lo, hi) (lo > 0): every octave equally likely, as object scales are.
  double log_uniform(double lo, double hi) { return lo * std::exp(std::log(hi / lo) * uniform()); }
  /// Uniform integer in [0, n) (n > 0).
  int64_t index(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
  /// Uniform integer in [lo, hi].
  int64_t integer(int64_t lo, int64_t hi) { return lo + index(hi - lo + 1); }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller).
  double normal() {
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

}  // namespace beyond::data
