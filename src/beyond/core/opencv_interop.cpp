#include "beyond/core/opencv_interop.h"

#include <cstring>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond {

cv::Mat to_mat(const torch::Tensor& chw_uint8) {
  BEYOND_CHECK(chw_uint8.defined(), "to_mat: the tensor is undefined");
  BEYOND_CHECK(chw_uint8.scalar_type() == torch::kUInt8, "to_mat: expected a uint8 tensor, got ",
               chw_uint8.scalar_type(), " of shape ", chw_uint8.sizes(),
               " (convert with (x.clamp(0, 1) * 255).round().to(torch::kUInt8))");
  torch::Tensor t = chw_uint8.dim() == 2 ? chw_uint8.unsqueeze(0) : chw_uint8;
  BEYOND_CHECK(t.dim() == 3 && (t.size(0) == 1 || t.size(0) == 3), "to_mat: expected shape [C, H, W] with C = 1 or 3 "
               "(or [H, W]), got ", chw_uint8.sizes());
  const int channels = static_cast<int>(t.size(0));
  const int height = static_cast<int>(t.size(1));
  const int width = static_cast<int>(t.size(2));
  if (channels == 3) t = t.flip({0});  // RGB -> BGR
  const torch::Tensor hwc = t.permute({1, 2, 0}).to(torch::kCPU).contiguous();
  cv::Mat mat(height, width, CV_MAKETYPE(CV_8U, channels));
  if (hwc.numel() > 0) std::memcpy(mat.data, hwc.data_ptr<uint8_t>(), static_cast<size_t>(hwc.numel()));
  return mat;
}

torch::Tensor from_mat(const cv::Mat& mat) {
  BEYOND_CHECK(mat.depth() == CV_8U, "from_mat: expected an 8-bit cv::Mat, got depth ", mat.depth(), " (type ",
               mat.type(), "); convert it first, e.g. mat.convertTo(out, CV_8U, 255.0)");
  const int channels = mat.channels();
  BEYOND_CHECK(channels == 1 || channels == 3 || channels == 4, "from_mat: expected 1, 3 or 4 channels, got ",
               channels);
  cv::Mat src;
  if (channels == 4) {
    cv::cvtColor(mat, src, cv::COLOR_BGRA2RGB);
  } else if (channels == 3) {
    cv::cvtColor(mat, src, cv::COLOR_BGR2RGB);
  } else {
    src = mat.isContinuous() ? mat : mat.clone();
  }
  const int c = src.channels();
  torch::Tensor hwc = torch::empty({src.rows, src.cols, c}, torch::kUInt8);
  if (hwc.numel() > 0) std::memcpy(hwc.data_ptr<uint8_t>(), src.data, static_cast<size_t>(hwc.numel()));
  return hwc.permute({2, 0, 1}).contiguous();
}

}  // namespace beyond
