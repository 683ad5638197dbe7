#include "beyond/tasks/segmenter.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/data/transforms/functional.h"
#include "beyond/tasks/detector_weights.h"

namespace beyond {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

models::FcnOptions fcn_options(const Config& cfg, int64_t num_classes) {
  if (cfg.get_int("model.num_classes") > 0) num_classes = cfg.get_int("model.num_classes");
  models::FcnOptions o(num_classes);
  o.skips(static_cast<int>(cfg.get_int("model.skips")));
  o.learn_final_upsampling(cfg.get_bool("model.learn_final_upsampling"));
  const auto backbone = cfg.get_string("model.backbone");
  BEYOND_CHECK_USAGE(backbone == "vgg" || backbone == "resnet", cfg.source(), ": model.backbone must be vgg or resnet, got '",
                     backbone, "'");
  o.backbone(backbone == "vgg" ? models::FcnBackbone::Vgg : models::FcnBackbone::ResNet);
  o.vgg(models::FcnVggOptions()
            .widths(cfg.get_ints("model.vgg.widths"))
            .convs(cfg.get_ints("model.vgg.convs"))
            .batch_norm(cfg.get_bool("model.vgg.batch_norm"))
            .fc_channels(cfg.get_int("model.vgg.fc_channels"))
            .fc6_kernel(cfg.get_int("model.vgg.fc6_kernel"))
            .dropout(cfg.get_double("model.vgg.dropout")));
  auto resnet = models::ResNetOptions::from_depth(static_cast<int>(cfg.get_int("model.resnet.depth")));
  const auto widths = cfg.get_ints("model.resnet.widths");
  BEYOND_CHECK_USAGE(widths.size() == 4, cfg.source(), ": model.resnet.widths needs 4 values, got ", widths.size());
  resnet.widths({widths[0], widths[1], widths[2], widths[3]})
      .stem_channels(cfg.get_int("model.resnet.stem_channels"))
      .norm(models::parse_norm_kind(cfg.get_string("model.resnet.norm"), "model.resnet.norm"))
      .trainable_layers(static_cast<int>(cfg.get_int("model.resnet.trainable_layers")));
  o.resnet(resnet);
  return o;
}

bool crf_rnn_enabled(const Config& cfg) {
  return cfg.has("model.crf_rnn.enabled") && cfg.get_bool("model.crf_rnn.enabled");
}

models::CrfRnnOptions crf_rnn_options(const Config& cfg, int64_t num_classes) {
  if (cfg.get_int("model.num_classes") > 0) num_classes = cfg.get_int("model.num_classes");
  const auto iterations = cfg.get_int("model.crf_rnn.iterations"), eval_iterations = cfg.get_int("model.crf_rnn.eval_iterations");
  BEYOND_CHECK_USAGE(iterations >= 0 && eval_iterations >= 0, cfg.source(), ": model.crf_rnn.iterations and "
                     "eval_iterations must be >= 0, got ", iterations, " and ", eval_iterations);
  const double alpha = cfg.get_double("model.crf_rnn.theta_alpha"), beta = cfg.get_double("model.crf_rnn.theta_beta"),
               gamma = cfg.get_double("model.crf_rnn.theta_gamma");
  BEYOND_CHECK_USAGE(alpha > 0 && beta > 0 && gamma > 0, cfg.source(), ": model.crf_rnn.theta_alpha, theta_beta and "
                     "theta_gamma must be positive, got ", alpha, ", ", beta, ", ", gamma);
  return models::CrfRnnOptions(num_classes)
      .iterations(static_cast<int>(iterations))
      .eval_iterations(static_cast<int>(eval_iterations))
      .theta_alpha(alpha)
      .theta_beta(beta)
      .theta_gamma(gamma)
      .bilateral_weight(cfg.get_double("model.crf_rnn.bilateral_weight"))
      .spatial_weight(cfg.get_double("model.crf_rnn.spatial_weight"))
      .per_label_weights(cfg.get_bool("model.crf_rnn.per_label_weights"))
      .learn_compatibility(cfg.get_bool("model.crf_rnn.learn_compatibility"));
}

void load_fcn_weights(models::Fcn& model, const std::string& weights) {
  std::error_code ec;
  const auto file = fs::is_directory(weights, ec) ? (fs::path(weights) / "model.safetensors").string() : weights;
  BEYOND_CHECK_USAGE(fs::is_regular_file(file, ec), "model.init_weights: ", file, " does not exist; name a finished "
                     "`beyond train fcn8s` run directory or its model.safetensors");
  load_state_dict(*model, load_safetensors(file), "model.", file);
}

torch::Tensor denormalized_rgb(const torch::Tensor& inputs, const Config& cfg) {
  const auto mean = torch::tensor(cfg.get_doubles("model.image_mean"), torch::kFloat32).view({1, 3, 1, 1});
  const auto std = torch::tensor(cfg.get_doubles("model.image_std"), torch::kFloat32).view({1, 3, 1, 1});
  return ((inputs.detach() * std + mean) * 255).clamp(0, 255);
}

torch::Tensor segmentation_input(const torch::Tensor& image, const Config& cfg, double scale) {
  BEYOND_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "segmentation: expected a [1 or 3, H, W] "
               "image, got ", image.sizes());
  const auto rgb = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
  auto x = data::transforms::normalize(rgb, cfg.get_doubles("model.image_mean"), cfg.get_doubles("model.image_std"))
               .unsqueeze(0);
  if (scale != 1.0) {
    const auto h = std::max<int64_t>(1, std::llround(image.size(1) * scale));
    const auto w = std::max<int64_t>(1, std::llround(image.size(2) * scale));
    x = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
  }
  return x;
}

torch::Tensor segment_image(models::Fcn& model, const torch::Tensor& image, const Config& cfg, double scale,
                            models::CrfRnn crf) {
  torch::NoGradGuard no_grad;
  if (scale <= 0) scale = cfg.get_double("data.eval_scale");
  const auto input = segmentation_input(image, cfg, scale);
  auto logits = model->forward(input);
  if (!crf.is_empty()) logits = crf->forward(logits, denormalized_rgb(input, cfg));
  if (logits.size(2) != image.size(1) || logits.size(3) != image.size(2))
    logits = F::interpolate(logits, F::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{image.size(1), image.size(2)})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
  return logits[0];
}

LoadedSegmenter load_segmenter(const std::string& weights, const std::vector<std::string>& overrides) {
  LoadedSegmenter s;
  std::error_code ec;
  if (fs::is_directory(weights, ec)) {
    s.weights_file = (fs::path(weights) / "model.safetensors").string();
    BEYOND_CHECK_USAGE(fs::exists(s.weights_file, ec), weights, " has no model.safetensors: pass a finished run "
                       "directory of `beyond train fcn8s|fcn16s|fcn32s` or a .safetensors file");
  } else {
    BEYOND_CHECK_USAGE(fs::is_regular_file(weights, ec), weights, ": no such weights file or run directory");
    s.weights_file = weights;
  }
  const auto metadata = load_safetensors_metadata(s.weights_file);
  const auto config = metadata.find("config");
  BEYOND_CHECK_USAGE(config != metadata.end(), s.weights_file, " does not say which model it holds (no \"config\" "
                     "metadata); use the model.safetensors of a `beyond train fcn8s` run");
  s.config = Config::from_yaml(config->second, s.weights_file + " (metadata \"config\")");
  for (const auto& o : overrides) s.config.set_assignment(o);
  BEYOND_CHECK_USAGE(s.config.has("task") && s.config.get_string("task") == "segmentation", s.weights_file, " holds a '",
                     s.config.has("task") ? s.config.get_string("task") : "?", "' model, not a segmentation model");
  const auto categories = metadata.find("categories");
  BEYOND_CHECK_USAGE(categories != metadata.end(), s.weights_file, " has no \"categories\" metadata");
  s.categories = categories_from_json(categories->second, s.weights_file);
  s.model = models::Fcn(fcn_options(s.config, static_cast<int64_t>(s.categories.size()) + 1));
  const auto tensors = load_safetensors(s.weights_file);
  load_state_dict(*s.model, tensors, "model.", s.weights_file);
  s.model->eval();
  if (crf_rnn_enabled(s.config)) {
    s.crf = models::CrfRnn(crf_rnn_options(s.config, static_cast<int64_t>(s.categories.size()) + 1));
    load_state_dict(*s.crf, tensors, "crf.", s.weights_file);
    s.crf->eval();
  }
  return s;
}

}  // namespace beyond
