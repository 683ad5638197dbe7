// beyond demo [--out DIR] [--only NAME ...] [--detector-weights W] [--char-lm RUN]: short runs of the
// generative family on Fashion-MNIST, a detection panel on a small `scenes` set and a sequence panel
// (generated text, the gradient story), with pictures and one index page. The settings are the models'
// defaults shortened to a few minutes on 2 cores.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/generators/scenes.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/detection_eval.h"
#include "beyond/tasks/detection_task.h"
#include "beyond/tasks/detector_weights.h"
#include "beyond/tasks/run.h"
#include "beyond/viz/grid.h"
#include "beyond/viz/report.h"
#include "commands.h"
#include "demo_sequence.h"

namespace beyond::cli {
namespace {

struct DemoRun {
  std::string name;
  std::string model;
  std::vector<std::string> overrides;
  std::string what;
};

const std::vector<DemoRun>& demo_runs() {
  static const std::vector<DemoRun> runs = {
      {"vae", "vae", {"train.epochs=2", "eval.iwae_images=1000"},
       "VAE (784-400-20) after 2 epochs: test ELBO and IWAE bound (k=100) in nats per image"},
      {"ae", "ae", {"train.steps=400"}, "convolutional autoencoder, 400 steps"},
      {"dae", "dae", {"train.steps=400"},
       "denoising autoencoder, 400 steps: compare denoise_bce with the plain autoencoder's"},
      {"gan", "gan", {"train.steps=600", "eval.fid_samples=2000"},
       "DCGAN, 600 steps: FID of 2000 samples against the test set"},
      {"stn", "stn",
       {"train.steps=400", "data.distortion=rts", "model.kind=st-cnn", "data.train_limit=12000", "data.test_limit=2000",
        "stn.theta_every=25"},
       "ST-CNN (affine) on RTS-distorted Fashion-MNIST (42x42), 400 steps: test error in percent; top rows distorted "
       "test images, below them the transformer's rectified versions"},
  };
  return runs;
}

/// Settings of the detection panel when no trained weights are at hand: Faster R-CNN (small backbone)
/// for a few hundred steps on the panel's own images; enough to see boxes appear, not a trained model.
const std::vector<std::string>& detection_fallback_overrides() {
  static const std::vector<std::string> overrides = {
      "train.steps=300", "data.batch_size=2", "optim.warmup_steps=50", "train.log_every=25",
      "train.checkpoint_every=300", "eval.pictures=4", "model.transform.min_size=[128]",
      "model.transform.test_min_size=128"};
  return overrides;
}

/// The detection panel: a small `scenes` set, a detector -- `weights` when that file exists (the
/// committed weights/faster_rcnn_scenes.safetensors), else a short Faster R-CNN training on the set --,
/// its COCO and VOC07 scores on the set's val split and its detections on the first val images.
/// Returns the table row, or nothing when the training was interrupted.
std::optional<std::vector<std::string>> run_detection_panel(const std::string& out, const std::string& weights,
                                                            viz::HtmlReport& index) {
  namespace fs = std::filesystem;
  const auto dir = fs::path(out) / "detection";
  const auto scenes = (dir / "scenes").string();
  log::info("demo: generating a small scenes set in " + scenes);
  data::generate_scenes(data::ScenesOptions().train(96).val(16).test(1).seed(7), scenes);
  std::string weights_file = weights, what = "Faster R-CNN with the weights in " + weights;
  std::error_code ec;
  if (!fs::is_regular_file(weights, ec)) {
    log::info("demo: " + weights + " not found; training Faster R-CNN (small backbone) briefly instead");
    Config cfg = Config::builtin("faster_rcnn_small");
    cfg.set("data.root", scenes);
    for (const auto& s : detection_fallback_overrides()) cfg.set_assignment(s);
    RunOptions options;
    options.out_dir = (dir / "run").string();
    if (train_run(cfg, options).status != TrainResult::Status::Completed) return std::nullopt;
    weights_file = (dir / "run" / "model.safetensors").string();
    what = "Faster R-CNN (small backbone) after 300 steps from scratch on 96 images at 128 pixels (no trained "
           "weights found, so expect few good boxes)";
  }
  auto detector = load_detector(weights_file);
  data::CocoDetection val(detection_split(scenes, "val"));
  check_same_categories(detector, val);
  std::vector<coco::Annotation> results;
  const auto scores = evaluate_detector(detector.model, val, {}, {}, &results);
  log::info("demo: detection on " + std::to_string(val.size()) + " val images\n" + scores.summary());
  // A trained detector's confident detections; the briefly trained one's scores are low, so its best few.
  const bool trained = weights_file == weights;
  const size_t per_image = trained ? 100 : 5;
  const double min_score = trained ? 0.5 : 0.0;
  std::vector<torch::Tensor> drawn;
  for (int64_t i = 0; i < std::min<int64_t>(8, val.size()); ++i) {
    std::vector<coco::Annotation> mine;
    for (const auto& r : results)
      if (r.image_id == val.image_id(i) && r.score >= min_score) mine.push_back(r);
    std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    mine.resize(std::min(mine.size(), per_image));
    drawn.push_back(draw_detections(val.get(i).image, mine, detector.categories));
  }
  viz::save_grid(torch::stack(drawn), (dir / "detections.png").string(), 4);
  index.heading("detection");
  index.image("detection/detections.png",
              what + (trained ? ": val images, detections scoring >= 0.5" : ": val images, the 5 best detections each"));
  if (fs::exists(dir / "run" / "report.html", ec))
    index.link("detection/run/report.html", "full report of the detection run");
  const auto m = scores.metrics();
  return std::vector<std::string>{"detection", what,
                                  str("AP ", m.at("AP"), ", AP50 ", m.at("AP50"), ", voc07_mAP ", m.at("voc07_mAP"))};
}

void run_demo(const std::string& out, const std::vector<std::string>& only, const std::string& detector_weights,
              const SequencePanelOptions& sequence) {
  const std::set<std::string> chosen(only.begin(), only.end());
  auto wanted = [&](const std::string& name) { return chosen.empty() || chosen.count(name) > 0; };
  ensure_writable_dir(out);
  viz::HtmlReport index("beyond demo");
  index.paragraph("Short runs of the generative family and a spatial transformer on Fashion-MNIST, a detector on "
                  "generated scenes and a character language model with the vanishing-gradient story, each with a "
                  "link to its full report.");
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : demo_runs()) {
    if (!wanted(run.name)) continue;
    log::info("demo: training " + run.name + " (" + run.what + ")");
    Config cfg = Config::builtin(run.model);
    for (const auto& s : run.overrides) cfg.set_assignment(s);
    RunOptions options;
    options.out_dir = (std::filesystem::path(out) / run.name).string();
    auto result = train_run(cfg, options);
    if (result.status != TrainResult::Status::Completed) {
      exit_status() = 130;
      return;
    }
    std::string metrics;
    for (const auto& [k, v] : result.final_metrics) metrics += (metrics.empty() ? "" : ", ") + k + " " + str(v);
    rows.push_back({run.name, run.what, metrics});
    index.heading(run.name);
    const std::string picture = run.name == "vae" || run.name == "gan" ? "samples.png"
                                : run.name == "stn"                    ? "rectified.png"
                                                                       : "reconstructions.png";
    index.image(run.name + "/images/" + picture, run.what);
    index.link(run.name + "/report.html", "full report of the " + run.name + " run (metrics, curves, all pictures)");
  }
  // A panel's table row; nothing means it was interrupted (exit 130, no index page).
  auto add_row = [&](const std::optional<std::vector<std::string>>& row) {
    if (!row) exit_status() = 130;
    else rows.push_back(*row);
    return row.has_value();
  };
  if (wanted("detection") && !add_row(run_detection_panel(out, detector_weights, index))) return;
  if (wanted("sequence") && !add_row(run_sequence_panel(out, sequence, index))) return;
  index.heading("Final metrics");
  index.table({"run", "what", "final metrics"}, rows);
  const std::string page = (std::filesystem::path(out) / "index.html").string();
  index.write(page);
  std::cout << "demo finished: open " << std::filesystem::absolute(page).string() << "\n";
}

}  // namespace

void add_demo(CLI::App& app, const GlobalOptions&) {
  struct Args {
    std::string out = "runs/demo", detector_weights = "weights/faster_rcnn_scenes.safetensors";
    std::vector<std::string> only;
    SequencePanelOptions sequence;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("demo", "train the generative family and a spatial transformer briefly, run a detector, sample a character "
                                         "language model, plot vanishing gradients, and write a report (a few minutes)");
  cmd->add_option("--out", a->out, "output directory")->capture_default_str();
  cmd->add_option("--only", a->only,
                  "panels to run (repeatable): vae, ae, dae, gan, stn, detection, sequence (default: all)")
      ->check(CLI::IsMember({"vae", "ae", "dae", "gan", "stn", "detection", "sequence"}));
  cmd->add_option("--detector-weights", a->detector_weights,
                  "detector for the detection panel; when the file is missing, a short training replaces it")
      ->capture_default_str();
  cmd->add_option("--char-lm", a->sequence.char_lm_run,
                  "char-lm run (of `beyond train char-lm`) the sequence panel samples from; when it holds none, a "
                  "short training replaces it")
      ->capture_default_str();
  cmd->add_option("--char-lm-text", a->sequence.text,
                  "corpus of that short training (default: the King James Bible from Debian's bible-kjv)");
  cmd->add_option("--char-lm-steps", a->sequence.steps, "steps of that short training")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([a] { run_demo(a->out, a->only, a->detector_weights, a->sequence); });
}

}  // namespace beyond::cli
