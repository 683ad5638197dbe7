#include "beyond/tasks/registry.h"

#include "beyond/core/error.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/autoencoder_task.h"
#include "beyond/tasks/char_lm_task.h"
#include "beyond/tasks/classifier_task.h"
#include "beyond/tasks/detection_task.h"
#include "beyond/tasks/gan_task.h"
#include "beyond/tasks/long_range_task.h"
#include "beyond/tasks/segmentation_task.h"
#include "beyond/tasks/stn_task.h"
#include "beyond/tasks/vae_task.h"

namespace beyond {

TaskRegistry& TaskRegistry::instance() {
  static TaskRegistry registry;
  return registry;
}

void TaskRegistry::add(const std::string& name, const std::string& description, TaskFactory factory) {
  for (auto& [n, e] : entries_) {
    if (n == name) {
      e = {description, std::move(factory)};
      return;
    }
  }
  entries_.push_back({name, {description, std::move(factory)}});
}

bool TaskRegistry::contains(const std::string& name) const {
  for (const auto& [n, e] : entries_)
    if (n == name) return true;
  return false;
}

std::shared_ptr<Task> TaskRegistry::create(const Config& cfg) const {
  const std::string name = cfg.get_string("task");
  for (const auto& [n, e] : entries_)
    if (n == name) return e.factory(cfg);
  std::string hint = closest_match(name, names());
  throw UsageError(str("unknown task '", name, "'", hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

std::vector<std::string> TaskRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, e] : entries_) out.push_back(n);
  return out;
}

std::string TaskRegistry::description(const std::string& name) const {
  for (const auto& [n, e] : entries_)
    if (n == name) return e.description;
  return "";
}

void register_builtin_tasks() {
  auto& r = TaskRegistry::instance();
  r.add("ae", "undercomplete autoencoder (MLP or conv) on Fashion-MNIST",
        [](const Config& c) { return std::make_shared<AutoencoderTask>(c); });
  r.add("dae", "denoising autoencoder: Gaussian and masking noise applied on the fly",
        [](const Config& c) { return std::make_shared<AutoencoderTask>(c); });
  r.add("vae", "variational autoencoder (784-400-20, Bernoulli decoder); ELBO and IWAE bound",
        [](const Config& c) { return std::make_shared<VaeTask>(c); });
  r.add("gan", "DCGAN for 28x28 images; FID against the test set",
        [](const Config& c) { return std::make_shared<GanTask>(c); });
  r.add("classifier", "small CNN classifier; its features define the FID",
        [](const Config& c) { return std::make_shared<ClassifierTask>(c); });
  r.add("detection", "Faster R-CNN / Fast R-CNN (GeneralizedRCNN) on COCO-format data such as `scenes`",
        [](const Config& c) { return std::make_shared<DetectionTask>(c); });
  r.add("segmentation", "FCN-32s / 16s / 8s semantic segmentation on label PNGs such as `scenes`",
        [](const Config& c) { return std::make_shared<SegmentationTask>(c); });
  r.add("adding", "adding problem for RNN / LSTM / GRU: sum the two marked values of a length-T sequence",
        [](const Config& c) { return std::make_shared<LongRangeTask>(c); });
  r.add("copy", "copy task for RNN / LSTM / GRU: repeat 10 symbols after a delay of T steps",
        [](const Config& c) { return std::make_shared<LongRangeTask>(c); });
  r.add("char_lm", "character language model (RNN / LSTM / GRU, truncated BPTT) on a UTF-8 text; bits per character",
        [](const Config& c) { return std::make_shared<CharLmTask>(c); });
  r.add("stn", "FCN / CNN with or without a spatial transformer on distorted Fashion-MNIST (r, rts, p, e, cluttered)",
        [](const Config& c) { return std::make_shared<StnTask>(c); });
}

}  // namespace beyond
