#include "beyond/proposals/graph_segmentation.h"

#include <cmath>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "beyond/core/error.h"

namespace beyond::proposals {
namespace detail {

DisjointSet::DisjointSet(int n) : parent_(n), size_(n, 1), rank_(n, 0) {
  for (int i = 0; i < n; ++i) parent_[i] = i;
}

int DisjointSet::find(int x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

int DisjointSet::join(int a, int b) {
  if (rank_[a] < rank_[b]) std::swap(a, b);
  if (rank_[a] == rank_[b]) ++rank_[a];
  parent_[b] = a;
  size_[a] += size_[b];
  return a;
}

}  // namespace detail

namespace {

struct Edge {
  uint32_t key;  // the weight's float bits: for weights >= 0 they order like the weights
  int32_t a;
  int32_t b;
};

float weight_of(uint32_t key) {
  float w;
  std::memcpy(&w, &key, sizeof(w));
  return w;
}

/// LSD radix sort by key, 8 bits a pass; passes in which every key has the same byte are skipped.
void radix_sort(std::vector<Edge>& edges) {
  std::vector<Edge> buffer(edges.size());
  for (int shift = 0; shift < 32; shift += 8) {
    size_t count[257] = {0};
    for (const Edge& e : edges) ++count[((e.key >> shift) & 0xFF) + 1];
    bool trivial = false;
    for (int i = 1; i <= 256; ++i) trivial |= count[i] == edges.size();
    if (trivial) continue;
    for (int i = 1; i <= 256; ++i) count[i] += count[i - 1];
    for (const Edge& e : edges) buffer[count[(e.key >> shift) & 0xFF]++] = e;
    edges.swap(buffer);
  }
}

/// The 8-neighbour graph (each pixel linked to its right, lower, lower-right and upper-right
/// neighbours, so every pair appears once) with Euclidean colour distances as weights.
std::vector<Edge> grid_edges(const cv::Mat& smooth) {
  const int w = smooth.cols, h = smooth.rows, c = smooth.channels();
  std::vector<Edge> edges;
  edges.reserve(static_cast<size_t>(w) * h * 4);
  auto add = [&](const float* p, const float* q, int a, int b) {
    float d = 0.f;
    for (int i = 0; i < c; ++i) d += (p[i] - q[i]) * (p[i] - q[i]);
    const float dist = std::sqrt(d);
    uint32_t key;
    std::memcpy(&key, &dist, sizeof(key));
    edges.push_back({key, a, b});
  };
  for (int y = 0; y < h; ++y) {
    const float* row = smooth.ptr<float>(y);
    const float* below = y + 1 < h ? smooth.ptr<float>(y + 1) : nullptr;
    const float* above = y > 0 ? smooth.ptr<float>(y - 1) : nullptr;
    for (int x = 0; x < w; ++x) {
      const int i = y * w + x;
      const float* p = row + x * c;
      if (x + 1 < w) add(p, p + c, i, i + 1);
      if (below) add(p, below + x * c, i, i + w);
      if (below && x + 1 < w) add(p, below + (x + 1) * c, i, i + w + 1);
      if (above && x + 1 < w) add(p, above + (x + 1) * c, i, i - w + 1);
    }
  }
  return edges;
}

}  // namespace

Segmentation segment_graph(const cv::Mat& image, const GraphSegmentationOptions& options) {
  BEYOND_CHECK(!image.empty(), "segment_graph: the image is empty");
  BEYOND_CHECK(image.depth() == CV_8U || image.depth() == CV_32F,
               "segment_graph: expected an 8-bit or float image, got OpenCV type ", image.type(),
               " (convert it with cv::Mat::convertTo)");
  BEYOND_CHECK(options.k() >= 0 && options.sigma() >= 0 && options.min_size() >= 0,
               "segment_graph: k, sigma and min_size must be >= 0, got k=", options.k(),
               " sigma=", options.sigma(), " min_size=", options.min_size());
  cv::Mat smooth;
  image.convertTo(smooth, CV_32F);
  if (options.sigma() > 0) {
    const int radius = static_cast<int>(std::ceil(4 * options.sigma()));
    cv::GaussianBlur(smooth, smooth, cv::Size(2 * radius + 1, 2 * radius + 1), options.sigma(),
                     options.sigma(), cv::BORDER_REPLICATE);
  }
  std::vector<Edge> edges = grid_edges(smooth);
  radix_sort(edges);

  const int n = image.rows * image.cols;
  detail::DisjointSet sets(n);
  const float k = static_cast<float>(options.k());
  std::vector<float> threshold(n, k);
  for (const Edge& e : edges) {
    int a = sets.find(e.a), b = sets.find(e.b);
    if (a == b) continue;
    const float w = weight_of(e.key);
    if (w <= threshold[a] && w <= threshold[b]) {
      const int root = sets.join(a, b);
      threshold[root] = w + k / static_cast<float>(sets.size(root));
    }
  }
  // Small components join the neighbour across their lightest edge (edges are still sorted).
  for (const Edge& e : edges) {
    int a = sets.find(e.a), b = sets.find(e.b);
    if (a != b && (sets.size(a) < options.min_size() || sets.size(b) < options.min_size())) sets.join(a, b);
  }

  Segmentation seg;
  seg.width = image.cols;
  seg.height = image.rows;
  seg.labels.resize(n);
  std::vector<int32_t> dense(n, -1);
  for (int i = 0; i < n; ++i) {
    const int root = sets.find(i);
    if (dense[root] < 0) dense[root] = seg.num_segments++;
    seg.labels[i] = dense[root];
  }
  return seg;
}

}  // namespace beyond::proposals
