#pragma once
/// Reading and writing images as tensors.
///
///   torch::Tensor img = beyond::read_image("scene_0001.png");   // uint8 [3, H, W] RGB (or [1, H, W] grey)
///   beyond::write_image("out/recon.png", recon[0]);             // float [C, H, W] in [0, 1], or uint8
#include <string>

#include <torch/types.h>

namespace beyond {

/// Decodes a PNG/JPEG/BMP/... file into uint8 [3, H, W] RGB, or [1, H, W] for greyscale files
/// (alpha is dropped, 16-bit data is scaled to 8 bits). Throws beyond::Error naming the path if the
/// file is missing or cannot be decoded.
torch::Tensor read_image(const std::string& path);

/// Encodes `image` -- [C, H, W] or [H, W], C = 1 or 3, either uint8 or floating point in [0, 1]
/// (clamped, then rounded) -- in the format of the path's extension (.png recommended) and writes it
/// atomically.
void write_image(const std::string& path, const torch::Tensor& image);

/// `image` as uint8 [C, H, W] (C = 1 or 3) on the CPU: floats in [0, 1] are clamped and scaled by 255,
/// [H, W] becomes [1, H, W]. `what` names the caller in error messages.
torch::Tensor to_uint8_chw(const torch::Tensor& image, const std::string& what);

}  // namespace beyond
