#pragma once
/// Felzenszwalb-Huttenlocher graph-based segmentation (IJCV 2004): the initial regions of Selective
/// Search. Pixels are the nodes of an 8-neighbour grid graph whose edge weights are colour distances
/// in a Gaussian-smoothed image; edges are visited in increasing weight and two components merge when
/// the edge is no heavier than both components' internal difference plus k / |C|. Larger k gives
/// larger segments. A final pass merges components smaller than min_size into a neighbour.
///
///   cv::Mat hsv = ...;                                    // CV_8UC3 or CV_32FC3, any colour space
///   auto seg = beyond::proposals::segment_graph(hsv, GraphSegmentationOptions().k(100));
///   int label_of_pixel = seg.labels[y * seg.width + x];   // 0 .. seg.num_segments - 1
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/arg.h>

namespace beyond::proposals {

struct GraphSegmentationOptions {
  /// Scale of the merge threshold k / |C|: larger k, larger segments.
  TORCH_ARG(double, k) = 100.0;
  /// Gaussian smoothing applied before the weights are computed (0 = none).
  TORCH_ARG(double, sigma) = 0.8;
  /// Components smaller than this (pixels) are merged into a neighbour at the end.
  TORCH_ARG(int, min_size) = 50;
};

/// A label per pixel, row-major, labels dense in [0, num_segments).
struct Segmentation {
  int width = 0;
  int height = 0;
  int num_segments = 0;
  std::vector<int32_t> labels;
};

/// Segments `image` (CV_8UC1/3 or CV_32FC1/3, any colour space: the distance is Euclidean over the
/// channels as given). Throws beyond::Error for an empty image or another type.
Segmentation segment_graph(const cv::Mat& image, const GraphSegmentationOptions& options = {});

namespace detail {
/// Union-find over pixels with union by rank and path halving; also tracks component sizes.
class DisjointSet {
 public:
  explicit DisjointSet(int n);
  int find(int x);
  /// Joins the roots `a` and `b` (both must be roots); returns the new root.
  int join(int a, int b);
  int size(int root) const { return size_[root]; }

 private:
  std::vector<int32_t> parent_;
  std::vector<int32_t> size_;
  std::vector<uint8_t> rank_;
};
}  // namespace detail

}  // namespace beyond::proposals
