#pragma once
/// Selective Search (Uijlings et al., IJCV 2013): class-agnostic object proposals from hierarchical
/// grouping. Each strategy segments the image with Felzenszwalb-Huttenlocher (one colour space, one
/// k), then repeatedly merges the most similar pair of neighbouring regions (colour / texture / size /
/// fill similarities) until one region is left; every region met on the way is a proposal. Several
/// strategies diversify the result; their boxes are ranked as in the paper (a region's position in its
/// hierarchy, whole image = 1, times a uniform random factor; ascending) and de-duplicated.
///
///   cv::Mat bgr = cv::imread("photo.jpg");
///   auto boxes = beyond::proposals::selective_search(bgr, SelectiveSearchOptions::fast());
///   // boxes[0] is the best-ranked proposal: x1, y1, x2, y2 in pixels (x2, y2 exclusive)
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/arg.h>
#include <torch/types.h>

namespace beyond::proposals {

/// Colour spaces the strategies segment and describe the image in (8-bit OpenCV conventions).
/// rgI: normalised red and green (chromaticity, invariant to shading) and intensity.
enum class ColourSpace { RGB, HSV, Lab, rgI };

/// Similarity terms, combined by bit-or; a strategy's similarity is the sum of its terms.
enum Similarity : unsigned { kColour = 1, kTexture = 2, kSize = 4, kFill = 8 };

/// A proposal box in pixels: [x1, x2) x [y1, y2), i.e. x2 - x1 is the width (no +1).
struct Box {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  bool operator==(const Box& o) const { return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2; }
};

struct SelectiveSearchOptions {
  /// The paper's "fast" mode: HSV, Lab x k = 50, 100 x {C+T+S+F, T+S+F} = 8 strategies.
  static SelectiveSearchOptions fast();
  /// A "quality" mode: RGB, HSV, Lab, rgI x k = 50, 100, 150, 300 x {C+T+S+F, T+S+F, F, S} = 64 strategies.
  static SelectiveSearchOptions quality();
  /// fast() or quality() by name; throws beyond::UsageError for another name.
  static SelectiveSearchOptions mode(const std::string& name);
  /// Every option as text, for cache keys.
  std::string key() const;

  TORCH_ARG(std::vector<ColourSpace>, colour_spaces) = {ColourSpace::HSV, ColourSpace::Lab};
  /// Felzenszwalb-Huttenlocher k values; each is also the segmentation's min_size, as in the paper.
  TORCH_ARG(std::vector<double>, ks) = {50.0, 100.0};
  /// Similarity combinations (bit-or of Similarity).
  TORCH_ARG(std::vector<unsigned>, similarities) = {kColour | kTexture | kSize | kFill, kTexture | kSize | kFill};
  /// Gaussian smoothing before segmentation.
  TORCH_ARG(double, sigma) = 0.8;
  /// Seed of the random ranking factors: the same seed gives the same ranked list.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Worker threads for the strategies (0 = one per core).
  TORCH_ARG(int, threads) = 0;
};

/// Ranked, unique proposals for a CV_8UC3 BGR image (CV_8UC1 grey and CV_8UC4 BGRA are converted).
std::vector<Box> selective_search(const cv::Mat& bgr, const SelectiveSearchOptions& options = SelectiveSearchOptions::fast());

/// Boxes as a float tensor [N, 4] (x1, y1, x2, y2), the layout of torchvision's box ops.
torch::Tensor boxes_to_tensor(const std::vector<Box>& boxes);

}  // namespace beyond::proposals
