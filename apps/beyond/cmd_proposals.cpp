// beyond proposals IMAGE --out P.png [--top 200 --mode fast|quality --seed 0 --cache DIR]
#include <chrono>
#include <cstdio>
#include <iostream>

#include <opencv2/imgproc.hpp>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/opencv_interop.h"
#include "beyond/proposals/proposal_cache.h"
#include "beyond/proposals/selective_search.h"
#include "beyond/viz/draw_instances.h"
#include "commands.h"

namespace beyond::cli {

void add_proposals(CLI::App& app, const GlobalOptions& global) {
  struct Args {
    std::string image, out, mode = "fast", cache;
    int64_t top = 200;
    uint64_t seed = 0;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("proposals", "draw the top Selective Search object proposals of an image");
  cmd->add_option("image", a->image, "image file (PNG, JPEG, ...)")->required();
  cmd->add_option("--out", a->out, "PNG file to write")->required();
  cmd->add_option("--top", a->top, "number of best-ranked proposals to draw")->capture_default_str();
  cmd->add_option("--mode", a->mode, "fast (8 strategies) or quality (64)")
      ->check(CLI::IsMember({"fast", "quality"}))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of the ranking's random factors")->capture_default_str();
  cmd->add_option("--cache", a->cache, "directory to keep the proposals in, per image and options");
  cmd->callback([a, &global] {
    BEYOND_CHECK_USAGE(a->top > 0, "proposals: --top must be positive, got ", a->top);
    const auto options = proposals::SelectiveSearchOptions::mode(a->mode).seed(a->seed).threads(global.threads);
    cv::Mat bgr = to_mat(read_image(a->image));
    if (bgr.channels() == 1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
    const auto start = std::chrono::steady_clock::now();
    const auto boxes = a->cache.empty() ? proposals::selective_search(bgr, options)
                                        : proposals::cached_selective_search(a->image, options, a->cache);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const size_t n = std::min(boxes.size(), static_cast<size_t>(a->top));
    // Worst-ranked first, so that the best ones are drawn on top.
    for (size_t i = n; i-- > 0;) {
      const auto& b = boxes[i];
      cv::rectangle(bgr, cv::Point(b.x1, b.y1), cv::Point(b.x2 - 1, b.y2 - 1),
                    viz::category_colour(static_cast<int64_t>(i)), 1);
    }
    write_image(a->out, from_mat(bgr));
    char took[32];
    std::snprintf(took, sizeof(took), "%.0f", ms);
    std::cout << boxes.size() << " proposals (" << a->mode << ") in " << took << " ms; drew the top " << n
              << " in " << a->out << "\n";
  });
}

}  // namespace beyond::cli
