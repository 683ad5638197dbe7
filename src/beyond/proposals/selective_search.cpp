#include "beyond/proposals/selective_search.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <queue>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <opencv2/imgproc.hpp>

#include "beyond/core/error.h"
#include "beyond/proposals/graph_segmentation.h"

namespace beyond::proposals {

SelectiveSearchOptions SelectiveSearchOptions::fast() { return SelectiveSearchOptions(); }

SelectiveSearchOptions SelectiveSearchOptions::quality() {
  SelectiveSearchOptions o;
  o.colour_spaces({ColourSpace::RGB, ColourSpace::HSV, ColourSpace::Lab, ColourSpace::rgI});
  o.ks({50.0, 100.0, 150.0, 300.0});
  o.similarities({kColour | kTexture | kSize | kFill, kTexture | kSize | kFill, kFill, kSize});
  return o;
}

SelectiveSearchOptions SelectiveSearchOptions::mode(const std::string& name) {
  if (name == "fast") return fast();
  if (name == "quality") return quality();
  throw UsageError(str("unknown Selective Search mode '", name, "' (use fast or quality)"));
}

std::string SelectiveSearchOptions::key() const {
  std::ostringstream os;
  os << "cs";
  for (ColourSpace c : colour_spaces()) os << ',' << static_cast<int>(c);
  os << ";k";
  for (double k : ks()) os << ',' << k;
  os << ";sim";
  for (unsigned s : similarities()) os << ',' << s;
  os << ";sigma," << sigma() << ";seed," << seed();
  return os.str();
}

torch::Tensor boxes_to_tensor(const std::vector<Box>& boxes) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(boxes.size()), 4}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (const Box& b : boxes) {
    *p++ = static_cast<float>(b.x1);
    *p++ = static_cast<float>(b.y1);
    *p++ = static_cast<float>(b.x2);
    *p++ = static_cast<float>(b.y2);
  }
  return t;
}

namespace {

constexpr int kColourBins = 25;
constexpr int kOrientations = 8;
constexpr int kTextureBins = 10;
constexpr int kColourDims = 3 * kColourBins;                    // 75
constexpr int kTextureDims = 3 * kOrientations * kTextureBins;  // 240

/// The image in one colour space with every pixel's colour and texture histogram bins, shared by the
/// strategies that use this colour space.
struct ColourFeatures {
  cv::Mat image;                 // CV_8UC3 in the colour space
  std::vector<uint8_t> colour;   // [pixel][channel]: bin in [0, 25)
  std::vector<uint8_t> texture;  // [pixel][channel * 8 + orientation]: bin in [0, 10)
};

cv::Mat convert(const cv::Mat& bgr, ColourSpace space) {
  cv::Mat out;
  switch (space) {
    case ColourSpace::RGB: cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB); break;
    case ColourSpace::HSV: cv::cvtColor(bgr, out, cv::COLOR_BGR2HSV); break;  // H in [0, 180)
    case ColourSpace::Lab: cv::cvtColor(bgr, out, cv::COLOR_BGR2Lab); break;
    case ColourSpace::rgI: {
      out.create(bgr.size(), CV_8UC3);
      for (int y = 0; y < bgr.rows; ++y) {
        const uint8_t* p = bgr.ptr<uint8_t>(y);
        uint8_t* q = out.ptr<uint8_t>(y);
        for (int x = 0; x < bgr.cols; ++x, p += 3, q += 3) {
          const int sum = p[0] + p[1] + p[2];
          q[0] = sum ? static_cast<uint8_t>(255 * p[2] / sum) : 85;
          q[1] = sum ? static_cast<uint8_t>(255 * p[1] / sum) : 85;
          q[2] = static_cast<uint8_t>(sum / 3);
        }
      }
      break;
    }
  }
  return out;
}

/// Gaussian derivative (sigma = 1) responses in 8 orientations per channel, each scaled by its maximum
/// over the image and cut into 10 bins. Orientations o and o + 4 are the positive and negative parts of
/// the same directional derivative.
std::vector<uint8_t> texture_bins(const cv::Mat& image) {
  const int n = image.rows * image.cols;
  cv::Mat g = cv::getGaussianKernel(7, 1.0, CV_32F);
  cv::Mat dg(7, 1, CV_32F);
  for (int i = 0; i < 7; ++i) dg.at<float>(i) = -static_cast<float>(i - 3) * g.at<float>(i);  // d/dx of the Gaussian, sigma^2 = 1
  cv::Mat channels[3], as_float;
  image.convertTo(as_float, CV_32F);
  cv::split(as_float, channels);
  std::vector<float> response(static_cast<size_t>(n) * 24);
  float max_response[24] = {0};
  const float c45 = std::sqrt(0.5f);
  for (int c = 0; c < 3; ++c) {
    cv::Mat gx, gy;
    cv::sepFilter2D(channels[c], gx, CV_32F, dg, g, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
    cv::sepFilter2D(channels[c], gy, CV_32F, g, dg, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
    const float* px = gx.ptr<float>();
    const float* py = gy.ptr<float>();
    for (int i = 0; i < n; ++i) {
      const float dirs[4] = {px[i], c45 * (px[i] + py[i]), py[i], c45 * (py[i] - px[i])};
      float* r = &response[static_cast<size_t>(i) * 24 + c * kOrientations];
      for (int o = 0; o < 4; ++o) {
        r[o] = std::max(dirs[o], 0.f);
        r[o + 4] = std::max(-dirs[o], 0.f);
        max_response[c * kOrientations + o] = std::max(max_response[c * kOrientations + o], r[o]);
        max_response[c * kOrientations + o + 4] = std::max(max_response[c * kOrientations + o + 4], r[o + 4]);
      }
    }
  }
  float scale[24];
  for (int j = 0; j < 24; ++j) scale[j] = max_response[j] > 0 ? kTextureBins / max_response[j] : 0.f;
  std::vector<uint8_t> bins(response.size());
  for (size_t i = 0; i < response.size(); ++i)
    bins[i] = static_cast<uint8_t>(std::min(kTextureBins - 1, static_cast<int>(response[i] * scale[i % 24])));
  return bins;
}

ColourFeatures colour_features(const cv::Mat& bgr, ColourSpace space) {
  ColourFeatures f;
  f.image = convert(bgr, space);
  const int n = bgr.rows * bgr.cols;
  f.colour.resize(static_cast<size_t>(n) * 3);
  const int hue_range = space == ColourSpace::HSV ? 180 : 256;
  const uint8_t* p = f.image.ptr<uint8_t>();
  for (int i = 0; i < n * 3; ++i) {
    const int range = i % 3 == 0 ? hue_range : 256;
    f.colour[i] = static_cast<uint8_t>(std::min(kColourBins - 1, p[i] * kColourBins / range));
  }
  f.texture = texture_bins(f.image);
  return f;
}

/// Regions of one hierarchy: the initial segments first, then one per merge. Histograms are
/// L1-normalised; a merged region's histogram is the size-weighted mean of its parts'.
struct Regions {
  std::vector<float> colour, texture;
  std::vector<int> size;
  std::vector<Box> box;
  std::vector<std::vector<int>> neighbours;
  int count = 0;
};

Regions initial_regions(const Segmentation& seg, const ColourFeatures& f) {
  const int n = seg.num_segments;
  const int capacity = 2 * n - 1;
  Regions r;
  r.count = n;
  r.colour.assign(static_cast<size_t>(capacity) * kColourDims, 0.f);
  r.texture.assign(static_cast<size_t>(capacity) * kTextureDims, 0.f);
  r.size.assign(capacity, 0);
  r.box.assign(capacity, Box{seg.width, seg.height, 0, 0});
  r.neighbours.resize(capacity);
  std::vector<uint64_t> pairs;
  for (int y = 0; y < seg.height; ++y) {
    for (int x = 0; x < seg.width; ++x) {
      const int i = y * seg.width + x;
      const int l = seg.labels[i];
      ++r.size[l];
      Box& b = r.box[l];
      b.x1 = std::min(b.x1, x);
      b.y1 = std::min(b.y1, y);
      b.x2 = std::max(b.x2, x + 1);
      b.y2 = std::max(b.y2, y + 1);
      float* ch = &r.colour[static_cast<size_t>(l) * kColourDims];
      for (int c = 0; c < 3; ++c) ch[c * kColourBins + f.colour[i * 3 + c]] += 1.f;
      float* th = &r.texture[static_cast<size_t>(l) * kTextureDims];
      const uint8_t* tb = &f.texture[static_cast<size_t>(i) * 24];
      for (int j = 0; j < 24; ++j) th[j * kTextureBins + tb[j]] += 1.f;
      // 8-connectivity, as in the segmentation: right, lower, lower-right, lower-left.
      auto link = [&](int other) {
        if (other != l) pairs.push_back(static_cast<uint64_t>(std::min(l, other)) << 32 | static_cast<uint32_t>(std::max(l, other)));
      };
      if (x + 1 < seg.width) link(seg.labels[i + 1]);
      if (y + 1 < seg.height) {
        link(seg.labels[i + seg.width]);
        if (x + 1 < seg.width) link(seg.labels[i + seg.width + 1]);
        if (x > 0) link(seg.labels[i + seg.width - 1]);
      }
    }
  }
  for (int l = 0; l < n; ++l) {
    const float cs = 1.f / (3.f * r.size[l]), ts = 1.f / (24.f * r.size[l]);
    for (int j = 0; j < kColourDims; ++j) r.colour[static_cast<size_t>(l) * kColourDims + j] *= cs;
    for (int j = 0; j < kTextureDims; ++j) r.texture[static_cast<size_t>(l) * kTextureDims + j] *= ts;
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  for (uint64_t p : pairs) {
    const int a = static_cast<int>(p >> 32), b = static_cast<int>(p & 0xFFFFFFFFu);
    r.neighbours[a].push_back(b);
    r.neighbours[b].push_back(a);
  }
  return r;
}

float intersection(const float* a, const float* b, int dims) {
  float s = 0.f;
  for (int i = 0; i < dims; ++i) s += std::min(a[i], b[i]);
  return s;
}

int64_t area(const Box& b) { return static_cast<int64_t>(b.x2 - b.x1) * (b.y2 - b.y1); }

Box hull(const Box& a, const Box& b) {
  return {std::min(a.x1, b.x1), std::min(a.y1, b.y1), std::max(a.x2, b.x2), std::max(a.y2, b.y2)};
}

float similarity(const Regions& r, int a, int b, unsigned terms, float image_size) {
  float s = 0.f;
  if (terms & kColour)
    s += intersection(&r.colour[static_cast<size_t>(a) * kColourDims], &r.colour[static_cast<size_t>(b) * kColourDims], kColourDims);
  if (terms & kTexture)
    s += intersection(&r.texture[static_cast<size_t>(a) * kTextureDims], &r.texture[static_cast<size_t>(b) * kTextureDims], kTextureDims);
  if (terms & kSize) s += 1.f - static_cast<float>(r.size[a] + r.size[b]) / image_size;
  if (terms & kFill)
    s += 1.f - static_cast<float>(area(hull(r.box[a], r.box[b])) - r.size[a] - r.size[b]) / image_size;
  return s;
}

struct Candidate {
  float similarity;
  int a, b;
  bool operator<(const Candidate& o) const {
    if (similarity != o.similarity) return similarity < o.similarity;
    return a != o.a ? a > o.a : b > o.b;
  }
};

/// Greedy hierarchical grouping: merges the most similar neighbouring pair until one region is left.
/// Stale heap entries (a part already merged) are skipped when popped. Fills r with every region.
void group(Regions& r, unsigned terms, float image_size) {
  const int n = r.count;
  std::vector<uint8_t> alive(2 * n, 0);
  std::fill(alive.begin(), alive.begin() + n, 1);
  std::vector<int> mark(2 * n, -1);
  std::priority_queue<Candidate> heap;
  for (int a = 0; a < n; ++a)
    for (int b : r.neighbours[a])
      if (a < b) heap.push({similarity(r, a, b, terms, image_size), a, b});
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (!alive[c.a] || !alive[c.b]) continue;
    const int t = r.count++;
    const float sa = static_cast<float>(r.size[c.a]), sb = static_cast<float>(r.size[c.b]);
    const float wa = sa / (sa + sb), wb = sb / (sa + sb);
    for (int j = 0; j < kColourDims; ++j)
      r.colour[static_cast<size_t>(t) * kColourDims + j] =
          wa * r.colour[static_cast<size_t>(c.a) * kColourDims + j] + wb * r.colour[static_cast<size_t>(c.b) * kColourDims + j];
    for (int j = 0; j < kTextureDims; ++j)
      r.texture[static_cast<size_t>(t) * kTextureDims + j] =
          wa * r.texture[static_cast<size_t>(c.a) * kTextureDims + j] + wb * r.texture[static_cast<size_t>(c.b) * kTextureDims + j];
    r.size[t] = r.size[c.a] + r.size[c.b];
    r.box[t] = hull(r.box[c.a], r.box[c.b]);
    alive[c.a] = alive[c.b] = 0;
    alive[t] = 1;
    mark[t] = t;
    for (int part : {c.a, c.b}) {
      for (int m : r.neighbours[part]) {
        if (!alive[m] || mark[m] == t) continue;
        mark[m] = t;
        r.neighbours[t].push_back(m);
        r.neighbours[m].push_back(t);
        heap.push({similarity(r, t, m, terms, image_size), t, m});
      }
      std::vector<int>().swap(r.neighbours[part]);
    }
  }
}

struct Ranked {
  double value;
  Box box;
};

/// One segmentation (colour space, k) grouped under each similarity combination; every region gets
/// its hierarchy position (last merge = 1) times a uniform random factor.
std::vector<Ranked> run_strategies(const ColourFeatures& f, double k, const SelectiveSearchOptions& options,
                                   uint64_t stream) {
  const Segmentation seg = segment_graph(
      f.image, GraphSegmentationOptions().k(k).sigma(options.sigma()).min_size(static_cast<int>(k)));
  const Regions initial = initial_regions(seg, f);
  const float image_size = static_cast<float>(seg.width) * seg.height;
  std::vector<Ranked> out;
  for (size_t s = 0; s < options.similarities().size(); ++s) {
    Regions r = initial;
    group(r, options.similarities()[s], image_size);
    std::mt19937_64 rng(options.seed() * 0x9E3779B97F4A7C15ull + stream * 64 + s);
    for (int t = 0; t < r.count; ++t) {
      const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
      out.push_back({static_cast<double>(r.count - t) * u, r.box[t]});
    }
  }
  return out;
}

/// Runs fn(0 .. n-1) on up to `threads` std::threads (0 = one per core).
template <typename Fn>
void parallel_tasks(int n, int threads, Fn fn) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, n);
  std::atomic<int> next{0};
  std::vector<std::exception_ptr> errors(n);
  auto worker = [&] {
    for (int i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

std::vector<Box> selective_search(const cv::Mat& input, const SelectiveSearchOptions& options) {
  BEYOND_CHECK(!input.empty(), "selective_search: the image is empty");
  BEYOND_CHECK(input.depth() == CV_8U && (input.channels() == 1 || input.channels() == 3 || input.channels() == 4),
               "selective_search: expected an 8-bit grey, BGR or BGRA image, got OpenCV type ", input.type());
  BEYOND_CHECK(!options.colour_spaces().empty() && !options.ks().empty() && !options.similarities().empty(),
               "selective_search: colour_spaces, ks and similarities must each name at least one value");
  for (unsigned s : options.similarities())
    BEYOND_CHECK(s != 0 && s <= (kColour | kTexture | kSize | kFill),
                 "selective_search: similarity combination ", s, " is not a bit-or of Similarity terms");
  BEYOND_CHECK(input.cols < 65536 && input.rows < 65536, "selective_search: images up to 65535 pixels a side, got ",
               input.cols, "x", input.rows, " (resize it first)");
  cv::Mat bgr = input;
  if (input.channels() == 1) cv::cvtColor(input, bgr, cv::COLOR_GRAY2BGR);
  if (input.channels() == 4) cv::cvtColor(input, bgr, cv::COLOR_BGRA2BGR);
  if (!bgr.isContinuous()) bgr = bgr.clone();

  const auto& spaces = options.colour_spaces();
  std::vector<ColourFeatures> features(spaces.size());
  parallel_tasks(static_cast<int>(spaces.size()), options.threads(),
                 [&](int i) { features[i] = colour_features(bgr, spaces[i]); });
  const int num_k = static_cast<int>(options.ks().size());
  const int tasks = static_cast<int>(spaces.size()) * num_k;
  std::vector<std::vector<Ranked>> results(tasks);
  parallel_tasks(tasks, options.threads(), [&](int i) {
    results[i] = run_strategies(features[i / num_k], options.ks()[i % num_k], options, static_cast<uint64_t>(i));
  });

  std::vector<Ranked> all;
  for (auto& r : results) all.insert(all.end(), r.begin(), r.end());
  std::stable_sort(all.begin(), all.end(), [](const Ranked& a, const Ranked& b) { return a.value < b.value; });
  std::vector<Box> boxes;
  std::unordered_set<uint64_t> seen;
  for (const Ranked& r : all) {
    const uint64_t key = static_cast<uint64_t>(r.box.x1) << 48 | static_cast<uint64_t>(r.box.y1) << 32 |
                         static_cast<uint64_t>(r.box.x2) << 16 | static_cast<uint64_t>(r.box.y2);
    if (seen.insert(key).second) boxes.push_back(r.box);
  }
  return boxes;
}

}  // namespace beyond::proposals
