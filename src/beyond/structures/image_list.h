#pragma once
/// Images of different sizes as one padded batch, plus each image's own size: what a detector's
/// backbone takes (one tensor) while its heads still know where each image ends.
///
///   auto batch = beyond::ImageList::from_tensors({img_a, img_b});   // [C, H, W] each
///   batch.tensor();        // [2, C, Hmax, Wmax], Hmax and Wmax rounded up to a multiple of 32
///   batch.image_size(1);   // {H_b, W_b}
///
/// Images sit at the top-left corner; the rest is pad_value. Padding to a multiple of the backbone's
/// largest stride (size_divisibility, 32 for an FPN) keeps feature maps of every level aligned.
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace beyond {

class ImageList {
 public:
  ImageList() = default;
  /// `tensor` is [B, C, H, W]; image_sizes[i] = (height, width) of image i, inside H x W.
  ImageList(torch::Tensor tensor, std::vector<std::array<int64_t, 2>> image_sizes);

  /// Pads `images` ([C, H, W] each, one channel count and dtype) into one batch whose height and width
  /// are the largest ones rounded up to a multiple of size_divisibility (<= 1: no rounding).
  static ImageList from_tensors(const std::vector<torch::Tensor>& images, int64_t size_divisibility = 32,
                                double pad_value = 0);

  const torch::Tensor& tensor() const { return tensor_; }
  const std::vector<std::array<int64_t, 2>>& image_sizes() const { return image_sizes_; }
  std::array<int64_t, 2> image_size(int64_t i) const;
  int64_t size() const { return static_cast<int64_t>(image_sizes_.size()); }
  /// Image i without its padding: a view [C, h_i, w_i].
  torch::Tensor operator[](int64_t i) const;

  ImageList to(const torch::Device& device) const { return ImageList(tensor_.to(device), image_sizes_); }

 private:
  torch::Tensor tensor_;
  std::vector<std::array<int64_t, 2>> image_sizes_;
};

}  // namespace beyond
