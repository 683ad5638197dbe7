#include "beyond/tasks/pictures.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/viz/grid.h"

namespace beyond {

void save_rows(const std::vector<torch::Tensor>& rows, const std::string& path) {
  viz::save_grid(viz::stack_rows(rows), path, rows.front().size(0));
}

void save_interpolations(const torch::Tensor& z_a, const torch::Tensor& z_b, int64_t steps, const DecodeFn& decode,
                         const std::string& path) {
  auto t = torch::linspace(0, 1, steps, z_a.options()).view({1, steps, 1});
  auto z = z_a.unsqueeze(1) * (1 - t) + z_b.unsqueeze(1) * t;  // [P, steps, D]
  auto images = decode(z.reshape({-1, z_a.size(1)}));
  viz::save_grid(images, path, steps);
}

void save_latent_map(int64_t side, const DecodeFn& decode, const std::string& path) {
  // Quantiles of N(0,1) at evenly spaced probabilities, so each cell covers equal prior mass.
  auto p = torch::linspace(0.05, 0.95, side, torch::kFloat64);
  auto q = (std::sqrt(2.0) * torch::erfinv(2 * p - 1)).to(torch::kFloat32);
  auto grid = torch::stack(torch::meshgrid({q.flip(0), q}, "ij"), -1);  // rows: z2 from high to low
  auto zs = torch::stack({grid.select(-1, 1), grid.select(-1, 0)}, -1).reshape({-1, 2});
  viz::save_grid(decode(zs), path, side, 0);
}

void save_square_grid(const torch::Tensor& images, const std::string& path) {
  const auto nrow = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(images.size(0)))));
  viz::save_grid(images, path, nrow);
}

}  // namespace beyond
