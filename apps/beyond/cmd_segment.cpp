// beyond segment --weights W [--weights W2 ...] IMAGES... --out DIR [--scale S] [--probs]
//                [--panels P.png [--labels DIR] [--extra-labels DIR ...]]
// Writes, per image, DIR/<stem>.png (the predicted label map: 0 background, else the category id, so
// `beyond eval seg` scores it against label PNGs such as scenes' <split>/labels), DIR/<stem>_overlay.png
// (the labels' colours over the image) and with --probs DIR/<stem>_probs.npy (softmax probabilities,
// float32 [C, H, W], class order 0 = background then the categories by id: the input of `beyond crf`).
// With several --weights each model writes into DIR/<run or file name>/. --panels draws one row per
// image: the image, the ground truth from --labels (label PNGs named as the images), then each model's
// prediction, coloured by category id (so FCN-32s / 16s / 8s runs compare side by side).
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/data/formats/npy.h"
#include "beyond/data/formats/voc.h"
#include "beyond/structures/image_list.h"
#include "beyond/tasks/segmenter.h"
#include "beyond/viz/grid.h"
#include "beyond/viz/label_colors.h"
#include "commands.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

struct SegmentArgs {
  std::vector<std::string> weights;
  std::string out, panels, labels;
  std::vector<std::string> images, extra_labels;
  double scale = 0;
  bool probs = false;
};

/// Softmax probabilities as float32 [C, H, W] .npy, the layout `beyond crf --probs` reads.
void write_probabilities(const std::string& path, const torch::Tensor& probs) {
  const auto data = probs.to(torch::kCPU, torch::kFloat32).contiguous();
  npy::write_float32(path, data.sizes().vec(), data.data_ptr<float>());
}

/// The label PNG of `image_path` in `dir` (same stem; grey values or palette indices, as `beyond crf`
/// writes them), coloured for a panel column.
torch::Tensor label_column(const std::string& dir, const std::string& image_path, const torch::Tensor& image) {
  const auto label = (fs::path(dir) / (fs::path(image_path).stem().string() + ".png")).string();
  auto labels = voc::read_label_png(label);
  BEYOND_CHECK(labels.height == image.size(1) && labels.width == image.size(2), label, ": the labels are ",
               labels.width, " x ", labels.height, " but ", image_path, " is ", image.size(2), " x ", image.size(1));
  return viz::colorize_labels(
      torch::from_blob(labels.labels.data(), {labels.height, labels.width}, torch::kUInt8).clone());
}

void run_segment(const SegmentArgs& a) {
  BEYOND_CHECK_USAGE(a.scale >= 0, "segment: --scale must be > 0 (or 0 for the model's data.eval_scale), got ", a.scale);
  std::map<std::string, std::string> seen;
  for (const auto& path : a.images) {
    const auto [it, fresh] = seen.emplace(fs::path(path).stem().string(), path);
    BEYOND_CHECK_USAGE(fresh, "segment: ", it->second, " and ", path, " would both be written as ", it->first,
                       ".png; rename one, or run them with different --out folders");
  }
  std::map<std::string, std::string> models;
  for (const auto& w : a.weights) {
    const auto [it, fresh] = models.emplace(fs::path(w).stem().string(), w);
    BEYOND_CHECK_USAGE(a.weights.size() == 1 || fresh, "segment: ", it->second, " and ", w, " would both write into ",
                       (fs::path(a.out) / it->first).string(), "; pass run directories with different names");
  }
  ensure_writable_dir(a.out);
  // panels[i]: image i's row (image, ground truth, one prediction per model).
  std::vector<std::vector<torch::Tensor>> panels(a.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    const auto image = read_image(a.images[i]);
    panels[i].push_back(image.size(0) == 1 ? image.expand({3, -1, -1}) : image);
    if (!a.labels.empty()) panels[i].push_back(label_column(a.labels, a.images[i], image));
  }
  for (const auto& weights : a.weights) {
    auto s = load_segmenter(weights);
    const auto dir = a.weights.size() == 1 ? fs::path(a.out) : fs::path(a.out) / fs::path(weights).stem();
    fs::create_directories(dir);
    std::vector<int64_t> ids{0};
    for (const auto& c : s.categories) ids.push_back(c.id);
    BEYOND_CHECK(ids.back() <= 254, weights, ": category id ", ids.back(), " does not fit a label PNG (1..254)");
    const auto to_id = torch::tensor(ids, torch::kInt64);
    for (size_t i = 0; i < a.images.size(); ++i) {
      const auto& image = panels[i][0];
      const auto logits = segment_image(s.model, image, s.config, a.scale, s.crf);
      const auto labels = logits.argmax(0);
      const auto ids_map = to_id.index_select(0, labels.flatten()).view(labels.sizes());
      const auto stem = (dir / fs::path(a.images[i]).stem()).string();
      write_image(stem + ".png", ids_map.to(torch::kUInt8));
      write_image(stem + "_overlay.png", viz::blend_labels(image, ids_map));
      if (a.probs) write_probabilities(stem + "_probs.npy", torch::softmax(logits, 0));
      panels[i].push_back(viz::colorize_labels(ids_map));
      std::cout << a.images[i] << " -> " << stem << ".png\n";
    }
  }
  for (const auto& dir : a.extra_labels)
    for (size_t i = 0; i < a.images.size(); ++i) panels[i].push_back(label_column(dir, a.images[i], panels[i][0]));
  if (!a.panels.empty()) {
    std::vector<torch::Tensor> all;
    for (auto& row : panels) all.insert(all.end(), row.begin(), row.end());
    viz::save_grid(ImageList::from_tensors(all, 1, 255).tensor(), a.panels, static_cast<int64_t>(panels[0].size()));
    std::cout << "panels: " << a.panels << "\n";
  }
}

}  // namespace

void add_segment(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<SegmentArgs>();
  auto* cmd = app.add_subcommand("segment", "label every pixel of images with a trained FCN; writes label PNGs, "
                                            "overlays and optionally class probabilities");
  cmd->add_option("images", a->images, "image files (PNG, JPEG, ...; grey is converted to RGB)")->required();
  cmd->add_option("--weights", a->weights, "a run directory of `beyond train fcn8s|fcn16s|fcn32s`, or its "
                                           "model.safetensors (repeatable: several models side by side)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--out", a->out, "output folder: <stem>.png (category ids), <stem>_overlay.png")->required();
  cmd->add_option("--scale", a->scale, "run the network on the image rescaled by this (0: the model's data.eval_scale)")
      ->capture_default_str();
  cmd->add_option("--panels", a->panels, "also draw image | ground truth | each model's prediction, one row per image, "
                                         "into this PNG");
  cmd->add_option("--labels", a->labels, "folder of ground-truth label PNGs (category ids) named as the images, for --panels");
  cmd->add_option("--extra-labels", a->extra_labels, "for --panels: more columns after the models, from folders of "
                                                     "label PNGs named as the images (e.g. `beyond crf` outputs); repeatable")
      ->allow_extra_args(false);
  cmd->add_flag("--probs", a->probs, "also write <stem>_probs.npy: softmax probabilities, float32 [C, H, W]");
  cmd->callback([a] { run_segment(*a); });
}

}  // namespace beyond::cli
