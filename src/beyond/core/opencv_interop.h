#pragma once
/// Conversions between CHW uint8 tensors (RGB, the layout of torchvision) and cv::Mat (HWC, BGR, the
/// layout of OpenCV). Both directions copy, so the results own their memory.
///
///   cv::Mat bgr = beyond::to_mat(image_chw);          // [3, H, W] uint8 RGB -> CV_8UC3 BGR
///   cv::rectangle(bgr, {4, 4}, {20, 20}, {0, 0, 255});
///   torch::Tensor back = beyond::from_mat(bgr);       // -> [3, H, W] uint8 RGB
#include <opencv2/core.hpp>
#include <torch/types.h>

namespace beyond {

/// [C, H, W] (C = 1 or 3) or [H, W] uint8 tensor -> CV_8UC1 or CV_8UC3 (channels reordered RGB -> BGR).
cv::Mat to_mat(const torch::Tensor& chw_uint8);

/// CV_8UC1 -> [1, H, W]; CV_8UC3 (BGR) -> [3, H, W] RGB; CV_8UC4 (BGRA) -> [3, H, W] RGB without alpha.
/// Other depths are refused with a hint to convert them first.
torch::Tensor from_mat(const cv::Mat& mat);

}  // namespace beyond
