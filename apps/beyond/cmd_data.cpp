// beyond data scenes --out DIR ..., beyond data show DIR --split val --n 16 --out preview.png,
// beyond data kjv|fortunes|jargon --out DIR
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/opencv_interop.h"
#include "beyond/data/formats/coco.h"
#include "beyond/data/generators/scenes.h"
#include "beyond/data/text/debian_texts.h"
#include "beyond/data/text/kjv.h"
#include "beyond/viz/draw_instances.h"
#include "beyond/viz/grid.h"
#include "commands.h"

namespace beyond::cli {
namespace {

void add_scenes(CLI::App& data, const GlobalOptions& global) {
  struct Args {
    std::string out, fashion_mnist = "/usr/share/datasets/fashion-mnist";
    int64_t train = 3000, val = 300, test = 300, size = 320, max_items = 9, max_persons = 2;
    uint64_t seed = 0;
    bool ignore_border = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = data.add_subcommand(
      "scenes", "generate the `scenes` detection / segmentation / keypoint dataset (PNG + COCO JSON) from Fashion-MNIST");
  cmd->add_option("--out", a->out, "output directory")->required();
  cmd->add_option("--train", a->train, "training images")->capture_default_str();
  cmd->add_option("--val", a->val, "validation images")->capture_default_str();
  cmd->add_option("--test", a->test, "test images")->capture_default_str();
  cmd->add_option("--size", a->size, "image side in pixels")->capture_default_str();
  cmd->add_option("--seed", a->seed, "random seed (same seed, same bytes)")->capture_default_str();
  cmd->add_option("--max-items", a->max_items, "most Fashion-MNIST items per image")->capture_default_str();
  cmd->add_option("--max-persons", a->max_persons, "most stick figures per image")->capture_default_str();
  cmd->add_flag("--ignore-border", a->ignore_border, "write 255 on a 1-pixel border around objects in labels/");
  cmd->add_option("--fashion-mnist", a->fashion_mnist, "directory of the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->callback([a, &global] {
    data::ScenesOptions options;
    options.train(a->train).val(a->val).test(a->test).size(a->size).seed(a->seed);
    options.max_items(a->max_items).min_items(std::min<int64_t>(3, a->max_items)).max_persons(a->max_persons);
    options.ignore_border(a->ignore_border).fashion_mnist_dir(a->fashion_mnist).threads(global.threads);
    const data::ScenesSummary s = data::generate_scenes(options, a->out);
    const auto& splits = data::scene_splits();
    for (size_t i = 0; i < splits.size(); ++i)
      std::cout << splits[i] << ": " << s.images[i] << " images, " << s.objects[i] << " objects\n";
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", s.seconds);
    std::cout << "wrote " << a->out << " in " << seconds << " s\n";
  });
}

void add_show(CLI::App& data, const GlobalOptions&) {
  struct Args {
    std::string dir, split = "val", out = "preview.png";
    int64_t n = 16, nrow = 4;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = data.add_subcommand("show", "draw a split's ground truth (masks, boxes, labels, skeletons) as an image grid");
  cmd->add_option("dir", a->dir, "dataset directory (with annotations/instances_<split>.json)")->required();
  cmd->add_option("--split", a->split, "split to show")->capture_default_str();
  cmd->add_option("--n", a->n, "number of images")->capture_default_str();
  cmd->add_option("--nrow", a->nrow, "images per row")->capture_default_str();
  cmd->add_option("--out", a->out, "PNG file to write")->capture_default_str();
  cmd->callback([a] {
    namespace fs = std::filesystem;
    BEYOND_CHECK_USAGE(a->n > 0, "data show: --n must be positive, got ", a->n);
    BEYOND_CHECK_USAGE(a->nrow > 0, "data show: --nrow must be positive, got ", a->nrow);
    const std::string json = (fs::path(a->dir) / "annotations" / ("instances_" + a->split + ".json")).string();
    BEYOND_CHECK_USAGE(fs::exists(json), "data show: ", json, " not found; is ", a->dir,
                       " a dataset written by `beyond data scenes` (or COCO-style), and does it have split '",
                       a->split, "'?");
    const coco::Dataset dataset = coco::read_dataset(json);
    BEYOND_CHECK(!dataset.images.empty(), json, " lists no images");
    const size_t n = std::min(dataset.images.size(), static_cast<size_t>(a->n));
    std::vector<std::vector<coco::Annotation>> per_image(n);
    for (const auto& ann : dataset.annotations) {
      const int64_t index = dataset.image_index(ann.image_id);
      if (index >= 0 && static_cast<size_t>(index) < n) per_image[static_cast<size_t>(index)].push_back(ann);
    }
    std::vector<torch::Tensor> tiles;
    int64_t tile_h = 0, tile_w = 0;
    for (size_t i = 0; i < n; ++i) {
      const coco::Image& image = dataset.images[i];
      const std::string path = (fs::path(a->dir) / a->split / "images" / image.file_name).string();
      cv::Mat bgr = to_mat(read_image(path));
      if (bgr.channels() == 1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
      viz::draw_annotations(bgr, per_image[i], dataset.categories);
      torch::Tensor tile = from_mat(bgr);
      if (i == 0) tile_h = tile.size(1), tile_w = tile.size(2);
      // Images of other sizes are padded / cropped to the first one's, top-left aligned.
      torch::Tensor fitted = torch::zeros({3, tile_h, tile_w}, torch::kUInt8);
      const int64_t h = std::min(tile_h, tile.size(1)), w = std::min(tile_w, tile.size(2));
      fitted.narrow(1, 0, h).narrow(2, 0, w).copy_(tile.narrow(1, 0, h).narrow(2, 0, w));
      tiles.push_back(fitted);
    }
    viz::save_grid(torch::stack(tiles), a->out, a->nrow, 4);
    std::cout << "wrote " << a->out << " (" << n << " images of " << a->split << ")\n";
  });
}

void print_corpus(const std::string& out, const data::CorpusSummary& s) {
  std::cout << (s.reused ? "already there: " : "wrote ") << out << " (" << s.bytes << " bytes; train " << s.train
            << ", val " << s.val << ", test " << s.test << " characters)\n";
}

constexpr const char* kSplitHelp = " into a text corpus folder: the whole text and train/val/test.txt (last 5% test, "
                                   "the 5% before it val), for `beyond train char-lm --data DIR`";

void add_text_corpora(CLI::App& data) {
  auto out = std::make_shared<std::string>();
  auto kjv = std::make_shared<data::KjvOptions>();
  auto* cmd = data.add_subcommand("kjv", std::string("extract the King James Bible (Debian bible-kjv)") + kSplitHelp);
  cmd->add_option("--out", *out, "output folder (left as it is if already complete)")->required();
  cmd->add_option("--bible-data", kjv->data_dir, "folder of bible.data")->capture_default_str();
  cmd->callback([out, kjv] { print_corpus(*out, data::extract_kjv(*out, *kjv)); });

  auto fortunes = std::make_shared<data::FortunesOptions>();
  cmd = data.add_subcommand("fortunes", std::string("extract the fortunes (Debian fortunes)") + kSplitHelp);
  cmd->add_option("--out", *out, "output folder (left as it is if already complete)")->required();
  cmd->add_option("--fortunes-dir", fortunes->dir, "folder of the fortune files")->capture_default_str();
  cmd->callback([out, fortunes] { print_corpus(*out, data::extract_fortunes(*out, *fortunes)); });

  auto jargon = std::make_shared<data::JargonOptions>();
  cmd = data.add_subcommand("jargon", std::string("extract the Jargon File (Debian jargon-text)") + kSplitHelp);
  cmd->add_option("--out", *out, "output folder (left as it is if already complete)")->required();
  cmd->add_option("--jargon-file", jargon->file, "the gzipped Jargon File")->capture_default_str();
  cmd->callback([out, jargon] { print_corpus(*out, data::extract_jargon(*out, *jargon)); });
}

}  // namespace

void add_data(CLI::App& app, const GlobalOptions& global) {
  auto* data = app.add_subcommand("data", "make and inspect datasets");
  data->require_subcommand(1);
  add_scenes(*data, global);
  add_show(*data, global);
  add_text_corpora(*data);
}

}  // namespace beyond::cli
