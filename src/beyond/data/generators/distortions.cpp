#include "beyond/data/generators/distortions.h"

#include <ATen/Parallel.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "beyond/core/error.h"
#include "beyond/data/generators/random.h"

namespace beyond::data {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kItem = 28;
constexpr double kCentre = (kItem - 1) / 2.0;  // 13.5: the centre of a 28-pixel row, pixel centres at 0..27

const std::vector<std::pair<std::string, DistortionKind>>& kind_names() {
  static const std::vector<std::pair<std::string, DistortionKind>> names = {
      {"r", DistortionKind::Rotation},
      {"rts", DistortionKind::RotationScaleTranslation},
      {"p", DistortionKind::Projective},
      {"e", DistortionKind::Elastic},
      {"cluttered", DistortionKind::Cluttered}};
  return names;
}

cv::Mat warp_affine(const cv::Mat& src, const cv::Mat& m, int size) {
  cv::Mat dst;
  cv::warpAffine(src, dst, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  return dst;
}

cv::Mat rotate_scale_translate(const cv::Mat& src, Random& rng, double max_degrees, double min_scale,
                               double max_scale, int canvas) {
  const double angle = rng.uniform(-max_degrees, max_degrees);
  const double scale = rng.uniform(min_scale, max_scale);
  const double room = std::max(0.0, (canvas - kItem * scale) / 2.0);
  const double tx = rng.uniform(-room, room), ty = rng.uniform(-room, room);
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(kCentre, kCentre), angle, scale);
  const double centre = (canvas - 1) / 2.0;
  m.at<double>(0, 2) += centre + tx - kCentre;
  m.at<double>(1, 2) += centre + ty - kCentre;
  return warp_affine(src, m, canvas);
}

cv::Mat projective(const cv::Mat& src, Random& rng, double std_px) {
  std::vector<cv::Point2f> from = {{0, 0}, {kItem - 1, 0}, {kItem - 1, kItem - 1}, {0, kItem - 1}}, to;
  auto offset = [&] { return std::clamp(rng.normal() * std_px, -2 * std_px, 2 * std_px); };
  for (const auto& p : from) {
    const double x = kCentre + 0.75 * (p.x - kCentre) + offset();
    const double y = kCentre + 0.75 * (p.y - kCentre) + offset();
    to.emplace_back(static_cast<float>(x), static_cast<float>(y));
  }
  cv::Mat dst;
  cv::warpPerspective(src, dst, cv::getPerspectiveTransform(from, to), cv::Size(kItem, kItem), cv::INTER_LINEAR,
                      cv::BORDER_CONSTANT, cv::Scalar(0));
  return dst;
}

cv::Mat elastic(const cv::Mat& src, Random& rng, double alpha, double sigma) {
  cv::Mat dx(kItem, kItem, CV_32F), dy(kItem, kItem, CV_32F);
  for (int y = 0; y < kItem; ++y)
    for (int x = 0; x < kItem; ++x) {
      dx.at<float>(y, x) = static_cast<float>(rng.uniform(-1, 1));
      dy.at<float>(y, x) = static_cast<float>(rng.uniform(-1, 1));
    }
  cv::GaussianBlur(dx, dx, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
  cv::GaussianBlur(dy, dy, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
  cv::Mat map_x(kItem, kItem, CV_32F), map_y(kItem, kItem, CV_32F);
  for (int y = 0; y < kItem; ++y)
    for (int x = 0; x < kItem; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + alpha * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + alpha * dy.at<float>(y, x));
    }
  cv::Mat dst;
  cv::remap(src, dst, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  return dst;
}

cv::Mat cluttered(const cv::Mat& src, Random& rng, const DistortionOptions& o, const float* source, int64_t n_source) {
  const int canvas = static_cast<int>(distortion_canvas(DistortionKind::Cluttered));
  const int piece = static_cast<int>(std::min<int64_t>(o.clutter_piece_size(), kItem));
  cv::Mat out = cv::Mat::zeros(canvas, canvas, CV_32F);
  for (int64_t k = 0; k < o.clutter_pieces(); ++k) {
    const int64_t from = rng.index(n_source);
    cv::Mat other(kItem, kItem, CV_32F, const_cast<float*>(source + from * kItem * kItem));
    const int sx = static_cast<int>(rng.integer(0, kItem - piece)), sy = static_cast<int>(rng.integer(0, kItem - piece));
    const int dx = static_cast<int>(rng.integer(0, canvas - piece)), dy = static_cast<int>(rng.integer(0, canvas - piece));
    cv::Mat target = out(cv::Rect(dx, dy, piece, piece));
    cv::max(target, other(cv::Rect(sx, sy, piece, piece)), target);
  }
  const int x = static_cast<int>(rng.integer(0, canvas - kItem)), y = static_cast<int>(rng.integer(0, canvas - kItem));
  cv::Mat target = out(cv::Rect(x, y, kItem, kItem));
  cv::max(target, src, target);
  return out;
}

}  // namespace

DistortionKind parse_distortion(const std::string& name) {
  std::string known;
  for (const auto& [n, k] : kind_names()) {
    if (n == name) return k;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw UsageError(str("unknown distortion '", name, "'; known: ", known));
}

std::string distortion_name(DistortionKind kind) {
  for (const auto& [n, k] : kind_names())
    if (k == kind) return n;
  return "?";
}

int64_t distortion_canvas(DistortionKind kind) {
  if (kind == DistortionKind::RotationScaleTranslation) return 42;
  if (kind == DistortionKind::Cluttered) return 60;
  return kItem;
}

torch::Tensor distort(const torch::Tensor& images, const DistortionOptions& options, uint64_t stream,
                      int64_t first_index, const torch::Tensor& clutter_source) {
  BEYOND_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) == kItem && images.size(3) == kItem,
               "distortions: expected Fashion-MNIST images of shape [N, 1, 28, 28], got ", images.sizes());
  BEYOND_CHECK(options.projective_std() >= 0 && options.elastic_sigma() > 0 && options.clutter_pieces() >= 0 &&
                   options.clutter_piece_size() > 0,
               "distortions: projective_std and clutter_pieces must be >= 0, elastic_sigma and clutter_piece_size > 0");
  const auto src = images.to(torch::kFloat32).contiguous();
  const auto source = (clutter_source.defined() ? clutter_source : images).to(torch::kFloat32).contiguous();
  BEYOND_CHECK(source.dim() == 4 && source.size(1) == 1 && source.size(2) == kItem && source.size(3) == kItem &&
                   source.size(0) > 0,
               "distortions: the clutter source must be a non-empty [M, 1, 28, 28] tensor, got ", source.sizes());
  const int64_t n = src.size(0), canvas = distortion_canvas(options.kind());
  auto out = torch::empty({n, 1, canvas, canvas}, torch::kFloat32);
  const float* in_ptr = src.data_ptr<float>();
  const float* source_ptr = source.data_ptr<float>();
  float* out_ptr = out.data_ptr<float>();
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Random rng(Random::mix({options.seed(), stream, static_cast<uint64_t>(first_index + i)}));
      const cv::Mat item(kItem, kItem, CV_32F, const_cast<float*>(in_ptr + i * kItem * kItem));
      cv::Mat result;
      switch (options.kind()) {
        case DistortionKind::Rotation: result = rotate_scale_translate(item, rng, 90, 1, 1, kItem); break;
        case DistortionKind::RotationScaleTranslation:
          result = rotate_scale_translate(item, rng, 45, 0.7, 1.2, static_cast<int>(canvas));
          break;
        case DistortionKind::Projective: result = projective(item, rng, options.projective_std()); break;
        case DistortionKind::Elastic:
          result = elastic(item, rng, options.elastic_alpha(), options.elastic_sigma());
          break;
        case DistortionKind::Cluttered: result = cluttered(item, rng, options, source_ptr, source.size(0)); break;
      }
      cv::Mat dst(static_cast<int>(canvas), static_cast<int>(canvas), CV_32F, out_ptr + i * canvas * canvas);
      result.copyTo(dst);
    }
  });
  return out.clamp_(0.0, 1.0);
}

}  // namespace beyond::data
