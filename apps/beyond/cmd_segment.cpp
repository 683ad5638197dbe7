// beyond segment --weights W IMAGES... --out DIR [--scale S] [--probs]
// Writes, per image, DIR/<stem>.png (the predicted label map: 0 background, else the category id, so
// `beyond eval seg` scores it against label PNGs such as scenes' <split>/labels), DIR/<stem>_overlay.png
// (the labels' colours over the image) and with --probs DIR/<stem>_probs.npy (softmax probabilities,
// float32 [C, H, W], class order 0 = background then the categories by id: the input of `beyond crf`).
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/tasks/segmenter.h"
#include "beyond/viz/label_colors.h"
#include "commands.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

struct SegmentArgs {
  std::string weights, out;
  std::vector<std::string> images;
  double scale = 0;
  bool probs = false;
};

/// A float32 C-order NumPy .npy (format 1.0). Local until the project's own .npy writer (the dense CRF's)
/// is merged; then this calls that.
void write_npy_float32(const std::string& path, const torch::Tensor& t) {
  const auto data = t.to(torch::kCPU, torch::kFloat32).contiguous();
  std::string shape;
  for (int64_t d : data.sizes()) shape += std::to_string(d) + ", ";
  if (data.dim() > 1) shape.resize(shape.size() - 2);
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');  // total header length a multiple of 64
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(static_cast<const char*>(data.data_ptr()), static_cast<size_t>(data.numel()) * sizeof(float));
  write_file_atomic(path, bytes);
}

void run_segment(const SegmentArgs& a) {
  BEYOND_CHECK_USAGE(a.scale >= 0, "segment: --scale must be > 0 (or 0 for the model's data.eval_scale), got ", a.scale);
  std::map<std::string, std::string> seen;
  for (const auto& path : a.images) {
    const auto [it, fresh] = seen.emplace(fs::path(path).stem().string(), path);
    BEYOND_CHECK_USAGE(fresh, "segment: ", it->second, " and ", path, " would both be written as ", it->first,
                       ".png; rename one, or run them with different --out folders");
  }
  auto s = load_segmenter(a.weights);
  ensure_writable_dir(a.out);
  std::vector<int64_t> ids{0};
  for (const auto& c : s.categories) ids.push_back(c.id);
  BEYOND_CHECK(ids.back() <= 254, a.weights, ": category id ", ids.back(), " does not fit a label PNG (1..254)");
  const auto to_id = torch::tensor(ids, torch::kInt64);
  for (const auto& path : a.images) {
    const auto image = read_image(path);
    const auto logits = segment_image(s.model, image, s.config, a.scale);
    const auto labels = logits.argmax(0);
    const auto stem = (fs::path(a.out) / fs::path(path).stem()).string();
    write_image(stem + ".png", to_id.index_select(0, labels.flatten()).view(labels.sizes()).to(torch::kUInt8));
    write_image(stem + "_overlay.png", viz::blend_labels(image.size(0) == 1 ? image.expand({3, -1, -1}) : image, labels));
    if (a.probs) write_npy_float32(stem + "_probs.npy", torch::softmax(logits, 0));
    std::cout << path << " -> " << stem << ".png\n";
  }
}

}  // namespace

void add_segment(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<SegmentArgs>();
  auto* cmd = app.add_subcommand("segment", "label every pixel of images with a trained FCN; writes label PNGs, "
                                            "overlays and optionally class probabilities");
  cmd->add_option("images", a->images, "image files (PNG, JPEG, ...; grey is converted to RGB)")->required();
  cmd->add_option("--weights", a->weights, "a run directory of `beyond train fcn8s|fcn16s|fcn32s`, or its "
                                           "model.safetensors")->required();
  cmd->add_option("--out", a->out, "output folder: <stem>.png (category ids), <stem>_overlay.png")->required();
  cmd->add_option("--scale", a->scale, "run the network on the image rescaled by this (0: the model's data.eval_scale)")
      ->capture_default_str();
  cmd->add_flag("--probs", a->probs, "also write <stem>_probs.npy: softmax probabilities, float32 [C, H, W]");
  cmd->callback([a] { run_segment(*a); });
}

}  // namespace beyond::cli
