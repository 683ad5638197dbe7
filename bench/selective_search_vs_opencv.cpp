// Selective Search, beyond vs. OpenCV's ximgproc (both in "fast" mode, same images, same threads):
// recall of ground-truth boxes at IoU 0.5 and 0.7 among the top 100 / 500 / 1000 / 2000 proposals,
// and milliseconds per image. Scenes give recall and time; photos without boxes give time only.
//
//   beyond data scenes --out /tmp/ss_scenes --train 0 --val 100 --test 0
//   build/bench/selective_search_vs_opencv --scenes /tmp/ss_scenes --threads 2 \
//       --photos /usr/lib/python3/dist-packages/skimage/data/{astronaut,coffee,chelsea}.png
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/ximgproc/segmentation.hpp>

#include "beyond/data/formats/coco.h"
#include "beyond/proposals/selective_search.h"

namespace {

using beyond::proposals::Box;
constexpr int kTops[] = {100, 500, 1000, 2000};
constexpr double kIous[] = {0.5, 0.7};

double iou(const Box& a, const Box& b) {
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  return inter / (double(a.x2 - a.x1) * (a.y2 - a.y1) + double(b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

struct Method {
  std::string name;
  std::function<std::vector<Box>(const cv::Mat&)> run;
  // covered[t][i]: ground-truth boxes found at IoU kIous[i] in the top kTops[t]
  long covered[4][2] = {};
  double ms_scenes = 0, ms_photos = 0;
  size_t proposals = 0;
};

double timed(Method& m, const cv::Mat& img, std::vector<Box>& boxes) {
  const auto t0 = std::chrono::steady_clock::now();
  boxes = m.run(img);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string scenes;
  std::vector<std::string> photos;
  int threads = 2, max_images = 1000000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--scenes" && i + 1 < argc) scenes = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--max-images" && i + 1 < argc) max_images = std::atoi(argv[++i]);
    else if (a == "--photos") while (i + 1 < argc && argv[i + 1][0] != '-') photos.push_back(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s --scenes DIR [--photos IMG...] [--threads N] [--max-images N]\n", argv[0]);
      return 2;
    }
  }
  cv::setNumThreads(threads);
  // OpenCV's Selective Search runs its strategies one after the other, so beyond is also timed on one thread.
  std::vector<Method> methods(3);
  methods[0].name = "beyond (" + std::to_string(threads) + " threads)";
  methods[0].run = [threads](const cv::Mat& img) {
    return beyond::proposals::selective_search(img, beyond::proposals::SelectiveSearchOptions::fast().threads(threads));
  };
  methods[1].name = "beyond (1 thread)";
  methods[1].run = [](const cv::Mat& img) {
    return beyond::proposals::selective_search(img, beyond::proposals::SelectiveSearchOptions::fast().threads(1));
  };
  methods[2].name = "opencv-ximgproc";
  methods[2].run = [](const cv::Mat& img) {
    auto ss = cv::ximgproc::segmentation::createSelectiveSearchSegmentation();
    ss->setBaseImage(img);
    ss->switchToSelectiveSearchFast();
    std::vector<cv::Rect> rects;
    ss->process(rects);
    std::vector<Box> boxes;
    for (const cv::Rect& r : rects) boxes.push_back({r.x, r.y, r.x + r.width, r.y + r.height});
    return boxes;
  };

  long num_gt = 0;
  int num_scenes = 0;
  if (!scenes.empty()) {
    const auto ds = beyond::coco::read_dataset(scenes + "/annotations/instances_val.json");
    for (const auto& image : ds.images) {
      if (num_scenes >= max_images) break;
      const cv::Mat img = cv::imread(scenes + "/val/images/" + image.file_name, cv::IMREAD_COLOR);
      if (img.empty()) {
        std::fprintf(stderr, "cannot read %s\n", image.file_name.c_str());
        return 1;
      }
      std::vector<Box> gt;
      for (const auto& a : ds.annotations)
        if (a.image_id == image.id && !a.iscrowd && a.bbox[2] > 0 && a.bbox[3] > 0)
          gt.push_back({int(std::lround(a.bbox[0])), int(std::lround(a.bbox[1])),
                        int(std::lround(a.bbox[0] + a.bbox[2])), int(std::lround(a.bbox[1] + a.bbox[3]))});
      num_gt += static_cast<long>(gt.size());
      ++num_scenes;
      for (Method& m : methods) {
        std::vector<Box> boxes;
        m.ms_scenes += timed(m, img, boxes);
        m.proposals += boxes.size();
        for (const Box& g : gt) {
          // best IoU among the top N, for increasing N
          double best = 0;
          size_t seen = 0;
          for (int t = 0; t < 4; ++t) {
            for (; seen < std::min<size_t>(boxes.size(), kTops[t]); ++seen) best = std::max(best, iou(g, boxes[seen]));
            for (int i = 0; i < 2; ++i) m.covered[t][i] += best >= kIous[i];
          }
        }
      }
    }
  }
  for (const std::string& p : photos) {
    const cv::Mat img = cv::imread(p, cv::IMREAD_COLOR);
    if (img.empty()) {
      std::fprintf(stderr, "cannot read %s\n", p.c_str());
      return 1;
    }
    for (Method& m : methods) {
      std::vector<Box> boxes;
      const double ms = timed(m, img, boxes);
      m.ms_photos += ms;
      std::printf("photo %-60s %4dx%-4d %-20s %6zu proposals %8.1f ms\n", p.c_str(), img.cols, img.rows,
                  m.name.c_str(), boxes.size(), ms);
    }
  }

  std::printf("\n%d scenes images, %ld ground-truth boxes; %zu photos; %d threads\n", num_scenes, num_gt,
              photos.size(), threads);
  std::printf("| method | proposals/img | R@0.5 N=100 | 500 | 1000 | 2000 | R@0.7 N=100 | 500 | 1000 | 2000 | ms/img scenes | ms/img photos |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Method& m : methods) {
    std::printf("| %s | %.0f |", m.name.c_str(), num_scenes ? double(m.proposals) / num_scenes : 0.0);
    for (int i = 0; i < 2; ++i)
      for (int t = 0; t < 4; ++t) std::printf(" %.3f |", num_gt ? double(m.covered[t][i]) / num_gt : 0.0);
    std::printf(" %.1f | %.1f |\n", num_scenes ? m.ms_scenes / num_scenes : 0.0,
                photos.empty() ? 0.0 : m.ms_photos / photos.size());
  }
  return 0;
}
