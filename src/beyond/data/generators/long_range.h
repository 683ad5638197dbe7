#pragma once
/// Synthetic long-range-dependency problems for recurrent networks. Each sequence is a pure
/// function of (seed, index), so a batch can be regenerated for exact resume and the test set is fixed.
///
/// Adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015): T steps of two
/// inputs, a value uniform in [0, 1) and a marker that is 1 at exactly two steps, one in each half of
/// the sequence; the target is the sum of the two marked values. Predicting the mean, 1, gives MSE
/// Var(U1 + U2) = 1/6 ~ 0.167 (the baseline to beat).
///
/// Copy (memory) task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): `length` symbols from
/// {1..8}, then `delay - 1` blanks (0), a delimiter (9), and `length` more blanks; total
/// T = delay + 2 * length steps. The target is blank everywhere except the last `length` steps,
/// which must reproduce the symbols. Guessing gives per-symbol accuracy 1/8 on those steps.
#include <torch/types.h>

#include <cstdint>

namespace beyond::data {

struct SequenceBatch {
  torch::Tensor input;   ///< float [T, N, features] (time-major)
  torch::Tensor target;  ///< adding: float [N]; copy: int64 [T, N] class ids
};

/// `count` adding-problem sequences of length `steps` (>= 2): input [T, N, 2] (value, marker).
SequenceBatch adding_problem(int64_t steps, int64_t count, uint64_t seed, uint64_t first_index);

/// Vocabulary of the copy task: 0 blank, 1..8 symbols, 9 delimiter.
constexpr int64_t kCopyClasses = 10;
/// `count` copy-task sequences: input one-hot [delay + 2 length, N, 10], target [delay + 2 length, N].
SequenceBatch copy_task(int64_t delay, int64_t length, int64_t count, uint64_t seed, uint64_t first_index);

}  // namespace beyond::data
