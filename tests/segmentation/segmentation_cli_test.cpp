// The segmentation task end to end on a tiny generated scenes set: `beyond train fcn8s|fcn32s`,
// `beyond eval` on the run, `beyond segment` (label PNGs, probabilities); and bad label maps.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/image.h"
#include "beyond/core/safetensors.h"
#include "beyond/tasks/segmentation_task.h"
#include "support/cli.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;
using test::contains;
using test::run_cli;

/// One tiny scenes set for the whole suite (64x64 images: 6 train, 2 val, 1 test).
class SegmentationCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    const auto g = run_cli({"--threads", "2", "data", "scenes", "--out", data(), "--train", "6", "--val", "2", "--test",
                            "1", "--size", "64"},
                           *dir_ / "log_data");
    ASSERT_EQ(g.exit_code, 0) << g.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string data() { return *dir_ / "scenes"; }
  /// A copy of the data to break.
  static std::string copy_data(const test::TempDir& into) {
    const auto out = into / "scenes";
    fs::copy(data(), out, fs::copy_options::recursive);
    return out;
  }
  static test::TempDir* dir_;
};
test::TempDir* SegmentationCli::dir_ = nullptr;

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

TEST_F(SegmentationCli, TrainEvalAndSegmentARun) {
  test::TempDir dir;
  const std::string run = dir / "run";
  auto t = run_cli({"--threads", "2", "train", "fcn8s", "--data", data(), "--out", run, "--set", "train.steps=3",
                    "--set", "data.batch_size=2", "--set", "data.crop_size=48", "--set", "eval.pictures=2"},
                   dir / "log_train");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_TRUE(contains(t.output, "boundary F")) << t.output;
  const auto scores = read_json(run + "/eval.json");
  for (const char* k : {"miou", "pixel_accuracy", "mean_class_accuracy", "boundary_f", "boundary_f_per_image"}) {
    ASSERT_TRUE(scores.contains(k)) << k << " " << scores;
    const double v = scores[k].get<double>();
    EXPECT_TRUE(v >= 0 && v <= 1) << k << " " << v;
  }
  EXPECT_TRUE(fs::exists(run + "/images/segmentations.png"));
  const auto metadata = load_safetensors_metadata(run + "/model.safetensors");
  ASSERT_TRUE(metadata.count("categories"));
  EXPECT_TRUE(contains(metadata.at("config"), "skips: 2"));
  EXPECT_EQ(load_safetensors(run + "/model.safetensors").count("model.score_pool3.weight"), 1u);

  auto e = run_cli({"--threads", "2", "eval", run}, dir / "log_eval");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_EQ(read_json(run + "/eval.json").at("miou"), scores.at("miou"));  // same weights, same images

  const auto image = data() + "/val/images/000001.png";
  auto s = run_cli({"--threads", "2", "segment", "--weights", run, image, "--out", dir / "out", "--probs"},
                   dir / "log_segment");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto labels = read_image(dir / "out/000001.png");
  const auto truth = read_image(data() + "/val/labels/000001.png");
  ASSERT_EQ(labels.sizes(), truth.sizes());
  EXPECT_LE(labels.max().item<int>(), 11);  // background or a category id of scenes
  EXPECT_TRUE(fs::exists(dir / "out/000001_overlay.png"));
  // The .npy: magic, version 1.0, a header that states dtype and shape, then C x H x W float32.
  const auto npy = read_file(dir / "out/000001_probs.npy");
  ASSERT_GT(npy.size(), 10u);
  EXPECT_EQ(npy.substr(0, 6), "\x93NUMPY");
  const size_t header = static_cast<uint8_t>(npy[8]) + 256 * static_cast<uint8_t>(npy[9]);
  EXPECT_EQ((10 + header) % 64, 0u);
  EXPECT_TRUE(contains(npy.substr(10, header), "'descr': '<f4', 'fortran_order': False, 'shape': (12, 64, 64)"));
  ASSERT_EQ(npy.size(), 10 + header + 12 * 64 * 64 * sizeof(float));
  const auto probs = torch::from_blob(const_cast<char*>(npy.data()) + 10 + header, {12, 64, 64}, torch::kFloat32);
  EXPECT_TRUE(torch::allclose(probs.sum(0), torch::ones({64, 64}), 1e-4, 1e-4));
  EXPECT_TRUE(torch::equal(probs.argmax(0).to(torch::kUInt8), labels[0].clamp_max(11)));  // ids are classes here

  // Two models side by side (the run and its weights file), with the ground truth, in one picture.
  auto p = run_cli({"--threads", "2", "segment", "--weights", run, image, "--weights", run + "/model.safetensors",
                    data() + "/val/images/000002.png", "--out", dir / "two", "--labels", data() + "/val/labels",
                    "--panels", dir / "panels.png", "--extra-labels", data() + "/val/labels"},
                   dir / "log_panels");
  ASSERT_EQ(p.exit_code, 0) << p.output;
  EXPECT_EQ(read_file(dir / "two/run/000001.png"), read_file(dir / "two/model/000001.png"));
  EXPECT_EQ(read_file(dir / "two/run/000001.png"), read_file(dir / "out/000001.png"));
  // 2 rows x 5 columns (image, truth, two models, the extra labels) of 64x64 with 2-pixel padding
  const auto panels = read_image(dir / "panels.png");
  EXPECT_EQ(panels.sizes(), (std::vector<int64_t>{3, 2 * 66 + 2, 5 * 66 + 2}));
  // the extra column is the ground truth again: the same pixels as the second column
  using torch::indexing::Slice;
  EXPECT_TRUE(torch::equal(panels.index({Slice(), Slice(2, 66), Slice(68, 132)}),
                           panels.index({Slice(), Slice(2, 66), Slice(4 * 66 + 2, 5 * 66)})));
  auto same = run_cli({"segment", "--weights", run, "--weights", run, image, "--out", dir / "same"}, dir / "log_same");
  EXPECT_EQ(same.exit_code, 2) << same.output;
  EXPECT_TRUE(contains(same.output, "would both write into")) << same.output;

  auto bad = run_cli({"segment", "--weights", dir / "nothing", image, "--out", dir / "out2"}, dir / "log_bad");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "no such weights file or run directory")) << bad.output;
}

TEST_F(SegmentationCli, Fcn8sCrfRnnFineTunesFromAnFcn8sRun) {
  test::TempDir dir;
  const std::vector<std::string> small{"--set", "data.batch_size=2", "--set", "data.crop_size=40",
                                       "--set", "eval.pictures=1", "--set", "data.eval_limit=1"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), small.begin(), small.end());
    return args;
  };
  auto base = run_cli(with({"--threads", "2", "train", "fcn8s", "--data", data(), "--out", dir / "fcn8s", "--set",
                            "train.steps=2"}),
                      dir / "log_fcn8s");
  ASSERT_EQ(base.exit_code, 0) << base.output;
  // No FCN weights to start from: a clear error naming the key.
  auto missing = run_cli(with({"train", "fcn8s-crfrnn", "--data", data(), "--out", dir / "bad", "--set",
                               "model.init_weights=" + dir / "nothing", "--set", "train.steps=1"}),
                         dir / "log_bad");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_TRUE(contains(missing.output, "model.init_weights: " + dir / "nothing" + "/model.safetensors does not exist") ||
              contains(missing.output, "model.init_weights: " + dir / "nothing" + " does not exist"))
      << missing.output;
  // Steps 0 and 1 see the same batch through different weights, so compare the saved tensors instead.
  auto t = run_cli(with({"--threads", "2", "train", "fcn8s-crfrnn", "--data", data(), "--out", dir / "crf", "--set",
                         "model.init_weights=" + dir / "fcn8s", "--set", "train.steps=2", "--set",
                         "model.crf_rnn.iterations=2", "--set", "model.crf_rnn.eval_iterations=3"}),
                   dir / "log_crf");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_TRUE(contains(t.output, "FCN initialised from " + dir / "fcn8s")) << t.output;
  const auto base_tensors = load_safetensors(dir / "fcn8s/model.safetensors");
  const auto tensors = load_safetensors(dir / "crf/model.safetensors");
  ASSERT_EQ(tensors.count("crf.compatibility"), 1u);
  EXPECT_EQ(tensors.at("crf.compatibility").sizes(), (std::vector<int64_t>{12, 12}));
  EXPECT_EQ(tensors.at("crf.bilateral_weight").sizes(), (std::vector<int64_t>{12}));
  // The CRF parameters moved from their initial values (Potts, 5, 3): they were trained.
  EXPECT_FALSE(torch::equal(tensors.at("crf.compatibility"), torch::ones({12, 12}) - torch::eye(12)));
  // The FCN started from the FCN-8s run: after two small steps it is still close to it, far closer
  // than to a fresh network (the score layers start at zero, so compare the first convolution).
  const auto& before = base_tensors.at("model.backbone.features.0.weight");
  const auto& after = tensors.at("model.backbone.features.0.weight");
  EXPECT_LT((after - before).abs().max().item<double>(), 0.1 * before.abs().max().item<double>());
  const auto scores = read_json(dir / "crf/eval.json");
  EXPECT_GE(scores["miou"].get<double>(), 0.0);
  // `beyond segment` runs the CRF-RNN from the run's weights.
  const std::string image = data() + "/val/images/000001.png";
  auto s = run_cli({"segment", "--weights", dir / "crf", image, "--out", dir / "seg"}, dir / "log_seg");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_TRUE(fs::exists(dir / "seg/000001.png"));
}

TEST_F(SegmentationCli, ChannelsLastTrainingTakesTheSameStep) {
  test::TempDir dir;
  auto train = [&](const std::string& name, const char* channels_last) {
    auto t = run_cli({"--threads", "1", "train", "fcn8s", "--data", data(), "--out", dir / name, "--set",
                      "train.steps=1", "--set", "data.batch_size=2", "--set", "data.crop_size=48", "--set",
                      "eval.pictures=0", "--set", "data.eval_limit=1", "--set", "model.vgg.dropout=0", "--set",
                      std::string("model.channels_last=") + channels_last},
                     dir / ("log_" + name));
    EXPECT_EQ(t.exit_code, 0) << t.output;
    return load_safetensors(dir / name + "/model.safetensors");
  };
  const auto plain = train("plain", "false"), last = train("last", "true");
  ASSERT_EQ(plain.size(), last.size());
  // One Adam step (lr 0.002 after warm-up's first step, less): the same up to rounding, except where a
  // gradient that is zero up to rounding (a conv bias before BatchNorm) changed sign, which moves that
  // value by at most 2 lr.
  double worst = 0;
  for (const auto& [name, t] : plain) {
    ASSERT_TRUE(last.count(name)) << name;
    worst = std::max(worst, (t.to(torch::kFloat64) - last.at(name).to(torch::kFloat64)).abs().max().item<double>());
  }
  EXPECT_LT(worst, 4.1e-3);
  EXPECT_GT(worst, 0) << "channels-last runs other kernels, so some rounding differs (else the setting was ignored)";
  EXPECT_GT(plain.at("model.score_fr.weight").abs().sum().item<double>(), 0) << "the step moved the weights";
}

TEST_F(SegmentationCli, AliasesPickTheVariants) {
  test::TempDir dir;
  auto t = run_cli({"--threads", "2", "train", "fcn32s", "--data", data(), "--out", dir / "run", "--set",
                    "train.steps=1", "--set", "data.batch_size=2", "--set", "data.crop_size=32", "--set",
                    "eval.pictures=0", "--set", "data.eval_limit=1"},
                   dir / "log_train");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  const auto tensors = load_safetensors(dir / "run/model.safetensors");
  EXPECT_EQ(tensors.count("model.score_pool4.weight"), 0u);
  EXPECT_EQ(tensors.at("model.upscore.weight").size(2), 64);
}

TEST_F(SegmentationCli, BadLabelMapsAreNamedWithTheirFile) {
  test::TempDir dir;
  const auto root = copy_data(dir);
  const auto label = root + "/train/labels/000002.png";
  auto values = read_image(label).clone();
  values[0][3][5] = 77;
  write_image(label, values);
  SegmentationData train(root, "train");
  EXPECT_TRUE(contains(test::error_of([&] { train.get(1); }), label + ": label 77 at row 3, column 5 is neither 0"));

  write_image(label, torch::zeros({1, 10, 12}, torch::kUInt8));
  const auto size_error = test::error_of([&] { train.get(1); });
  EXPECT_TRUE(contains(size_error, label + " is 10 x 12 pixels but its image is 64 x 64")) << size_error;

  auto t = run_cli({"--threads", "2", "train", "fcn8s", "--data", root, "--out", dir / "run", "--set", "train.steps=3",
                    "--set", "data.batch_size=6", "--set", "eval.pictures=0"},
                   dir / "log_train");
  EXPECT_EQ(t.exit_code, 1) << t.output;
  EXPECT_TRUE(contains(t.output, "000002.png is 10 x 12 pixels")) << t.output;

  fs::remove_all(root + "/val/labels");
  EXPECT_TRUE(contains(test::error_of([&] { SegmentationData(root, "val"); }), "needs label PNGs"));
}

}  // namespace
}  // namespace beyond
