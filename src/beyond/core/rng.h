#pragma once
/// Seeding and deterministic mode. Every random draw in beyond goes through LibTorch's default CPU
/// generator (or a generator seeded from an explicit seed), so one seed reproduces a run.
#include <cstdint>
#include <string>

namespace beyond {

/// Seeds LibTorch's default generator (and std::rand) with `seed`.
void seed_everything(uint64_t seed);

/// Asks LibTorch for deterministic algorithms (errors on ops that have none).
void set_deterministic(bool on);

/// The default CPU generator's state as bytes, for checkpoints; and its inverse.
std::string save_rng_state();
void load_rng_state(const std::string& bytes);

}  // namespace beyond
