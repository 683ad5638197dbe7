#pragma once
/// Image grids, like torchvision.utils.make_grid / save_image.
///
///   // Inputs, corrupted inputs and reconstructions as three rows of 8:
///   auto rows = beyond::viz::stack_rows({x.slice(0, 0, 8), noisy.slice(0, 0, 8), recon.slice(0, 0, 8)});
///   beyond::viz::save_grid(rows, run_dir + "/denoising.png", /*nrow=*/8);
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace beyond::viz {

/// Tiles `images` ([N, C, H, W] or [C, H, W], float in [0, 1] or uint8) into one [C, H', W'] image with
/// `nrow` images per row and `padding` pixels of `pad_value` between and around them (torchvision's layout:
/// H' = rows * (H + padding) + padding, W' = min(nrow, N) * (W + padding) + padding). One-channel images
/// stay one-channel. The result is float32 (pad_value in [0, 1]; uint8 input is scaled to [0, 1]).
torch::Tensor make_grid(const torch::Tensor& images, int64_t nrow, int64_t padding = 2, double pad_value = 1.0);

/// make_grid then write_image (PNG by the path's extension, written atomically).
void save_grid(const torch::Tensor& images, const std::string& path, int64_t nrow, int64_t padding = 2);

/// Concatenates rows of equally many images ([N, C, H, W] each) into one [R * N, C, H, W] batch, for a grid
/// with nrow = N whose rows are, for example, input / corrupted / output. One-channel rows are expanded to
/// three channels when other rows have three.
torch::Tensor stack_rows(const std::vector<torch::Tensor>& rows);

}  // namespace beyond::viz
