#include "beyond/data/generators/long_range.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/data/generators/random.h"

namespace beyond::data {

SequenceBatch adding_problem(int64_t steps, int64_t count, uint64_t seed, uint64_t first_index) {
  BEYOND_CHECK(steps >= 2 && count >= 1, "adding problem: need T >= 2 steps and at least one sequence, got T=",
               steps, " N=", count, " (set data.T)");
  torch::Tensor input = torch::zeros({steps, count, 2});
  torch::Tensor target = torch::zeros({count});
  auto in = input.accessor<float, 3>();
  auto out = target.accessor<float, 1>();
  const int64_t half = steps / 2;
  for (int64_t n = 0; n < count; ++n) {
    Random rng(Random::mix({seed, 0xadd, first_index + static_cast<uint64_t>(n)}));
    for (int64_t t = 0; t < steps; ++t) in[t][n][0] = static_cast<float>(rng.uniform());
    const int64_t a = rng.index(half), b = half + rng.index(steps - half);
    in[a][n][1] = in[b][n][1] = 1.0f;
    out[n] = in[a][n][0] + in[b][n][0];
  }
  return {input, target};
}

SequenceBatch copy_task(int64_t delay, int64_t length, int64_t count, uint64_t seed, uint64_t first_index) {
  BEYOND_CHECK(delay >= 1 && length >= 1 && count >= 1, "copy task: need delay T >= 1, length >= 1 and at least ",
               "one sequence, got T=", delay, " length=", length, " N=", count, " (set data.T, data.length)");
  const int64_t steps = delay + 2 * length;
  torch::Tensor ids = torch::zeros({steps, count}, torch::kLong);
  torch::Tensor target = torch::zeros({steps, count}, torch::kLong);
  auto in = ids.accessor<int64_t, 2>();
  auto out = target.accessor<int64_t, 2>();
  for (int64_t n = 0; n < count; ++n) {
    Random rng(Random::mix({seed, 0xc09, first_index + static_cast<uint64_t>(n)}));
    for (int64_t i = 0; i < length; ++i) {
      const int64_t symbol = 1 + rng.index(8);
      in[i][n] = symbol;
      out[delay + length + i][n] = symbol;
    }
    in[delay + length - 1][n] = kCopyClasses - 1;  // delimiter: "now repeat"
  }
  return {torch::one_hot(ids, kCopyClasses).to(torch::kFloat32), target};
}

}  // namespace beyond::data
