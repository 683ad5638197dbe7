#pragma once
/// Pictures shared by the generative tasks; each writes one PNG grid into a run's images/ folder.
#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace beyond {

using DecodeFn = std::function<torch::Tensor(const torch::Tensor& z)>;  // latent -> images in [0,1]

/// Rows of equal length (e.g. input / corrupted / output), one image per column.
void save_rows(const std::vector<torch::Tensor>& rows, const std::string& path);

/// For each pair (z_a[i], z_b[i]) a row of `steps` images decoded along the straight line between them.
void save_interpolations(const torch::Tensor& z_a, const torch::Tensor& z_b, int64_t steps, const DecodeFn& decode,
                         const std::string& path);

/// The decoded images of a `side` x `side` grid over a 2-D latent space, placed at the standard
/// normal's quantiles (the VAE's 2-D latent map).
void save_latent_map(int64_t side, const DecodeFn& decode, const std::string& path);

/// A square-ish grid of `images` [N,C,H,W] in [0,1].
void save_square_grid(const torch::Tensor& images, const std::string& path);

}  // namespace beyond
