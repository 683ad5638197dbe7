#include "beyond/structures/image_list.h"

#include <torch/torch.h>

#include <algorithm>

#include "beyond/core/error.h"
#include "beyond/structures/tensor_checks.h"

namespace beyond {

ImageList::ImageList(torch::Tensor tensor, std::vector<std::array<int64_t, 2>> image_sizes)
    : tensor_(std::move(tensor)), image_sizes_(std::move(image_sizes)) {
  BEYOND_CHECK(tensor_.defined() && tensor_.dim() == 4, "ImageList: the batch must be [B, C, H, W], got ",
               detail::describe(tensor_));
  BEYOND_CHECK(tensor_.size(0) == static_cast<int64_t>(image_sizes_.size()), "ImageList: the batch holds ",
               tensor_.size(0), " images but ", image_sizes_.size(), " image sizes were given");
  for (size_t i = 0; i < image_sizes_.size(); ++i) {
    const auto [h, w] = image_sizes_[i];
    BEYOND_CHECK(h >= 0 && w >= 0 && h <= tensor_.size(2) && w <= tensor_.size(3), "ImageList: image ", i, " has size ",
                 h, " x ", w, ", which does not fit the padded ", tensor_.size(2), " x ", tensor_.size(3));
  }
}

ImageList ImageList::from_tensors(const std::vector<torch::Tensor>& images, int64_t size_divisibility,
                                  double pad_value) {
  BEYOND_CHECK(!images.empty(), "ImageList::from_tensors: no images");
  int64_t max_h = 0, max_w = 0;
  std::vector<std::array<int64_t, 2>> sizes;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    BEYOND_CHECK(im.defined() && im.dim() == 3, "ImageList::from_tensors: image ", i, " must be [C, H, W], got ",
                 detail::describe(im));
    BEYOND_CHECK(im.size(0) == images[0].size(0) && im.scalar_type() == images[0].scalar_type() &&
                     im.device() == images[0].device(),
                 "ImageList::from_tensors: image ", i, " is ", im.scalar_type(), " ", im.sizes(), " but image 0 is ",
                 images[0].scalar_type(), " ", images[0].sizes(), "; all need one channel count, dtype and device");
    sizes.push_back({im.size(1), im.size(2)});
    max_h = std::max(max_h, im.size(1));
    max_w = std::max(max_w, im.size(2));
  }
  if (size_divisibility > 1) {
    max_h = (max_h + size_divisibility - 1) / size_divisibility * size_divisibility;
    max_w = (max_w + size_divisibility - 1) / size_divisibility * size_divisibility;
  }
  auto batch = torch::full({static_cast<int64_t>(images.size()), images[0].size(0), max_h, max_w}, pad_value,
                           images[0].options());
  for (size_t i = 0; i < images.size(); ++i) {
    batch[static_cast<int64_t>(i)].slice(1, 0, sizes[i][0]).slice(2, 0, sizes[i][1]).copy_(images[i]);
  }
  return ImageList(std::move(batch), std::move(sizes));
}

std::array<int64_t, 2> ImageList::image_size(int64_t i) const {
  BEYOND_CHECK(i >= 0 && i < size(), "ImageList: index ", i, " is outside [0, ", size(), ")");
  return image_sizes_[i];
}

torch::Tensor ImageList::operator[](int64_t i) const {
  const auto [h, w] = image_size(i);
  return tensor_[i].slice(1, 0, h).slice(2, 0, w);
}

}  // namespace beyond
