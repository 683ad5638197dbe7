#include "beyond/core/image.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/opencv_interop.h"

namespace beyond {

torch::Tensor to_uint8_chw(const torch::Tensor& image, const std::string& what) {
  BEYOND_CHECK(image.defined(), what, ": the image tensor is undefined");
  torch::Tensor t = image.detach().to(torch::kCPU);
  if (t.dim() == 2) t = t.unsqueeze(0);
  BEYOND_CHECK(t.dim() == 3 && (t.size(0) == 1 || t.size(0) == 3), what,
               ": expected an image of shape [C, H, W] with C = 1 or 3, or [H, W]; got ", image.sizes());
  if (t.scalar_type() == torch::kUInt8) return t.contiguous();
  BEYOND_CHECK(t.is_floating_point(), what, ": expected uint8 or floating-point pixels in [0, 1], got ",
               t.scalar_type());
  return t.to(torch::kFloat32).nan_to_num(0.0).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8).contiguous();
}

torch::Tensor read_image(const std::string& path) {
  std::error_code ec;
  BEYOND_CHECK(std::filesystem::is_regular_file(path, ec), path, ": no such image file (check the path)");
  const std::string bytes = read_file(path);
  cv::Mat decoded;
  if (!bytes.empty()) {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    try {
      decoded = cv::imdecode(buffer, cv::IMREAD_ANYCOLOR);
    } catch (const cv::Exception& e) {
      throw Error(::beyond::str(path, ": cannot decode as an image (OpenCV: ", e.what(),
                      "); the file is damaged or not an image format OpenCV reads (PNG, JPEG, BMP, ...)"));
    }
  }
  BEYOND_CHECK(!decoded.empty(), path, ": cannot decode as an image (", bytes.size(),
               " bytes); the file is damaged or not an image format OpenCV reads (PNG, JPEG, BMP, ...)");
  if (decoded.depth() != CV_8U) {
    cv::Mat eight;
    const double scale = decoded.depth() == CV_16U ? 1.0 / 257.0 : 1.0;
    decoded.convertTo(eight, CV_8U, scale);
    decoded = eight;
  }
  return from_mat(decoded);
}

void write_image(const std::string& path, const torch::Tensor& image) {
  const torch::Tensor chw = to_uint8_chw(image, "write_image(" + path + ")");
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  BEYOND_CHECK(!ext.empty(), "write_image(", path, "): the path has no extension; name the file .png (or .jpg, .bmp)");
  const cv::Mat mat = to_mat(chw);
  std::vector<uchar> encoded;
  bool ok = false;
  try {
    ok = cv::imencode(ext, mat, encoded);
  } catch (const cv::Exception& e) {
    throw Error(::beyond::str("write_image(", path, "): OpenCV cannot encode '", ext, "' (", e.what(),
                    "); use .png, .jpg or .bmp"));
  }
  BEYOND_CHECK(ok, "write_image(", path, "): OpenCV failed to encode the ", chw.sizes(), " image as '", ext,
               "'; use .png, .jpg or .bmp");
  write_file_atomic(path, std::string(encoded.begin(), encoded.end()));
}

}  // namespace beyond
