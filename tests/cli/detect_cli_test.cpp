// `beyond detect` and `beyond eval detection`: self-describing weights, the pictures and COCO results,
// grey / RGBA inputs, and bad input (undecodable images, images too large, weights of another model).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/core/image.h"
#include "beyond/core/safetensors.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/build_detector.h"
#include "beyond/tasks/detector_weights.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;
using test::contains;
using test::run_cli;

/// An untrained detector of `config` with 3 categories (ids 5, 7, 9), saved with its metadata. Its
/// class scores are near uniform (~1/4), above the model's score threshold, so it detects something.
std::string write_untrained_weights(const test::TempDir& dir, const std::string& config, const std::string& name) {
  torch::manual_seed(3);
  Config cfg = Config::builtin(config);
  cfg.set("model.transform.min_size", "[96]");
  cfg.set("model.transform.test_min_size", "96");
  cfg.set("data.num_proposals", "200");
  auto model = build_detector(cfg, 4);
  const std::string path = dir / name;
  std::vector<coco::Category> categories(3);
  categories[0].id = 5, categories[0].name = "shoe";
  categories[1].id = 7, categories[1].name = "bag";
  categories[2].id = 9, categories[2].name = "shirt";
  save_detector_weights(path, model, cfg, categories);
  return path;
}

cv::Mat rectangles_bgr() {
  cv::Mat img(72, 88, CV_8UC3, cv::Scalar(120, 140, 110));
  cv::rectangle(img, cv::Rect(10, 12, 30, 34), cv::Scalar(20, 20, 230), cv::FILLED);
  cv::rectangle(img, cv::Rect(50, 20, 28, 40), cv::Scalar(230, 60, 20), cv::FILLED);
  return img;
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

/// The detections of image `id` in a COCO results list, in file order.
std::vector<nlohmann::json> of_image(const nlohmann::json& results, int64_t id) {
  std::vector<nlohmann::json> out;
  for (const auto& r : results)
    if (r.at("image_id").get<int64_t>() == id) out.push_back(r);
  return out;
}

TEST(CliDetect, GreyAndRgbaInputsAreConvertedAndGiveTheDetectionsOfTheirRgbImage) {
  test::TempDir dir;
  const auto weights = write_untrained_weights(dir, "faster_rcnn_small", "det.safetensors");
  cv::Mat grey, rgb_of_grey, bgra;
  cv::cvtColor(rectangles_bgr(), grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, rgb_of_grey, cv::COLOR_GRAY2BGR);
  cv::cvtColor(rectangles_bgr(), bgra, cv::COLOR_BGR2BGRA);
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& p, const int* pos) { p[3] = static_cast<uchar>(pos[1] * 2); });
  cv::imwrite(dir / "grey.png", grey);
  cv::imwrite(dir / "grey_as_rgb.png", rgb_of_grey);
  cv::imwrite(dir / "rgba.png", bgra);
  cv::imwrite(dir / "rgb.png", rectangles_bgr());
  ASSERT_EQ(cv::imread(dir / "grey.png", cv::IMREAD_UNCHANGED).channels(), 1);
  ASSERT_EQ(cv::imread(dir / "rgba.png", cv::IMREAD_UNCHANGED).channels(), 4);

  auto r = run_cli({"--threads", "2", "detect", "--weights", weights, dir / "grey.png", dir / "grey_as_rgb.png",
                    dir / "rgba.png", dir / "rgb.png", "--out", dir / "out", "--score-thresh", "0"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* stem : {"grey", "grey_as_rgb", "rgba", "rgb"}) {
    const auto picture = read_image(dir / (std::string("out/") + stem + ".png"));
    EXPECT_EQ(picture.sizes(), (std::vector<int64_t>{3, 72, 88})) << stem;
  }
  // Boxes were drawn over the RGB image.
  EXPECT_GT((read_image(dir / "out/rgb.png") != read_image(dir / "rgb.png")).any(0).sum().item<int64_t>(), 50);
  const auto results = read_json(dir / "out/detections.json");
  ASSERT_TRUE(results.is_array());
  for (int64_t id = 1; id <= 4; ++id) EXPECT_FALSE(of_image(results, id).empty()) << "image " << id;
  for (const auto& d : results) {
    const auto cat = d.at("category_id").get<int64_t>();
    EXPECT_TRUE(cat == 5 || cat == 7 || cat == 9) << d;
    EXPECT_GE(d.at("score").get<double>(), 0.0);
    EXPECT_EQ(d.at("bbox").size(), 4u);
  }
  // Grey is replicated into RGB, RGBA loses its alpha: the same detections as their RGB images.
  auto without_ids = [](std::vector<nlohmann::json> v) {
    for (auto& d : v) d.erase("image_id");
    return nlohmann::json(v);
  };
  EXPECT_EQ(without_ids(of_image(results, 1)), without_ids(of_image(results, 2)));
  EXPECT_EQ(without_ids(of_image(results, 3)), without_ids(of_image(results, 4)));
  EXPECT_NE(without_ids(of_image(results, 1)), without_ids(of_image(results, 4)));
  // images.json maps the ids to the files and names the categories.
  const auto listing = read_json(dir / "out/images.json");
  ASSERT_EQ(listing.at("images").size(), 4u);
  EXPECT_EQ(listing["images"][2]["id"], 3);
  EXPECT_EQ(listing["images"][2]["file_name"], dir / "rgba.png");
  EXPECT_EQ(listing["categories"][1]["name"], "bag");
}

TEST(CliDetect, FastRcnnWeightsUseCachedSelectiveSearchProposals) {
  test::TempDir dir;
  const auto weights = write_untrained_weights(dir, "fast_rcnn_small", "fast.safetensors");
  cv::imwrite(dir / "a.png", rectangles_bgr());
  auto r = run_cli({"--threads", "2", "detect", "--weights", weights, dir / "a.png", "--out", dir / "out",
                    "--score-thresh", "0", "--proposal-cache", dir / "cache"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(read_json(dir / "out/detections.json").empty());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "cache"), fs::directory_iterator()), 1);
}

TEST(CliDetect, UndecodableImageIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto weights = write_untrained_weights(dir, "faster_rcnn_small", "det.safetensors");
  std::ofstream(dir / "broken.png") << "this is not a PNG";
  auto r = run_cli({"detect", "--weights", weights, dir / "broken.png", "--out", dir / "out"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, dir / "broken.png")) << r.output;
  EXPECT_TRUE(contains(r.output, "cannot decode as an image")) << r.output;
}

TEST(CliDetect, ImageAboveMaxPixelsIsAClearError) {
  test::TempDir dir;
  const auto weights = write_untrained_weights(dir, "faster_rcnn_small", "det.safetensors");
  cv::imwrite(dir / "big.png", rectangles_bgr());
  auto r = run_cli({"detect", "--weights", weights, dir / "big.png", "--out", dir / "out", "--max-pixels", "5000"},
                   dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, dir / "big.png")) << r.output;
  EXPECT_TRUE(contains(r.output, "88x72 = 6336 pixels is more than the limit of 5000")) << r.output;
  EXPECT_TRUE(contains(r.output, "--max-pixels")) << r.output;
  // Within the limit it runs.
  auto ok = run_cli({"detect", "--weights", weights, dir / "big.png", "--out", dir / "out", "--max-pixels", "6336"},
                    dir / "log_ok");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(CliDetect, WeightsOfAnotherArchitectureNameTheFirstTensorAndItsShapes) {
  test::TempDir dir;
  const auto weights = write_untrained_weights(dir, "faster_rcnn_small", "small.safetensors");
  cv::imwrite(dir / "a.png", rectangles_bgr());
  auto r = run_cli({"detect", "--weights", weights, dir / "a.png", "--out", dir / "out", "--config",
                    std::string(BEYOND_SOURCE_DIR) + "/configs/faster_rcnn_r50_fpn.yaml"},
                   dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, weights + ": tensor 'model.backbone.body.conv1.weight' has shape [32, 3, 7, 7], "
                                           "the model expects [64, 3, 7, 7]")) << r.output;
  EXPECT_TRUE(contains(r.output, "not in the model")) << r.output;
  EXPECT_TRUE(contains(r.output, "another model or config")) << r.output;
  // Weights without a config need --config; a missing file is a usage error.
  save_safetensors(dir / "bare.safetensors", {{"model.x", torch::zeros({1})}});
  auto bare = run_cli({"detect", "--weights", dir / "bare.safetensors", dir / "a.png", "--out", dir / "out"},
                      dir / "log_bare");
  EXPECT_EQ(bare.exit_code, 2) << bare.output;
  EXPECT_TRUE(contains(bare.output, "no \"config\" metadata")) << bare.output;
  auto missing = run_cli({"detect", "--weights", dir / "nowhere", dir / "a.png", "--out", dir / "out"},
                         dir / "log_missing");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_TRUE(contains(missing.output, "no such weights file or run directory")) << missing.output;
}

TEST(CliDetect, TrainedRunDescribesItselfForDetectAndEvalDetection) {
  test::TempDir dir;
  const std::string data = dir / "scenes", run = dir / "run";
  auto g = run_cli({"--threads", "2", "data", "scenes", "--out", data, "--train", "4", "--val", "3", "--test", "1",
                    "--size", "96"},
                   dir / "log_data");
  ASSERT_EQ(g.exit_code, 0) << g.output;
  auto t = run_cli({"--threads", "2", "train", "faster-rcnn", "--data", data, "--out", run, "--set", "train.steps=1",
                    "--set", "data.batch_size=2", "--set", "eval.pictures=0", "--set", "model.transform.min_size=[96]",
                    "--set", "model.transform.test_min_size=96"},
                   dir / "log_train");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  // The run's weights carry the resolved config and the data's categories in label order.
  const auto metadata = load_safetensors_metadata(run + "/model.safetensors");
  ASSERT_TRUE(metadata.count("config") && metadata.count("categories"));
  EXPECT_TRUE(contains(metadata.at("config"), "test_min_size: 96"));
  const auto categories = categories_from_json(metadata.at("categories"), "model.safetensors");
  const auto gt = read_json(data + "/annotations/instances_val.json");
  ASSERT_EQ(categories.size(), gt.at("categories").size());
  for (size_t i = 1; i < categories.size(); ++i) EXPECT_LT(categories[i - 1].id, categories[i].id);

  auto d = run_cli({"--threads", "2", "detect", "--weights", run, data + "/val/images/000001.png", "--out",
                    dir / "out", "--score-thresh", "0"},
                   dir / "log_detect");
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_TRUE(fs::exists(dir / "out/000001.png"));

  // Weights of a run made before the metadata existed: the run's config.yaml and data name the classes.
  const std::string old_run = dir / "old_run";
  fs::create_directories(old_run);
  fs::copy_file(run + "/config.yaml", old_run + "/config.yaml");
  save_safetensors(old_run + "/model.safetensors", load_safetensors(run + "/model.safetensors"));
  ASSERT_TRUE(load_safetensors_metadata(old_run + "/model.safetensors").empty());
  auto old = run_cli({"--threads", "2", "detect", "--weights", old_run, data + "/val/images/000001.png", "--out",
                      dir / "out_old", "--score-thresh", "0"},
                     dir / "log_old");
  ASSERT_EQ(old.exit_code, 0) << old.output;
  const auto listing = read_json(dir / "out_old/images.json");
  ASSERT_EQ(listing.at("categories").size(), categories.size());
  for (size_t i = 0; i < categories.size(); ++i) EXPECT_EQ(listing["categories"][i]["name"], categories[i].name);
  EXPECT_EQ(read_file(dir / "out_old/detections.json"), read_file(dir / "out/detections.json"));

  // `beyond` (the torch-free front end) hands `eval detection` to beyond-torch.
  auto e = run_cli({"--threads", "2", "eval", "detection", run, "--data", data, "--split", "val"}, dir / "log_eval");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_TRUE(contains(e.output, "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]"))
      << e.output;
  EXPECT_TRUE(contains(e.output, "mAP")) << e.output;
  const auto scores = read_json(run + "/eval_detection_val.json");
  EXPECT_EQ(scores.at("images"), 3);
  EXPECT_TRUE(scores.at("metrics").contains("AP") && scores["metrics"].contains("voc07_mAP")) << scores;
  const double ap = scores["metrics"]["AP"].get<double>();
  EXPECT_TRUE(ap >= 0 && ap <= 1) << ap;

  // A results file instead of a detector: the ground truth itself scores 1, every box named wrongly 0.
  nlohmann::json truth = nlohmann::json::array(), misnamed = nlohmann::json::array();
  const auto& cats = gt.at("categories");
  for (const auto& g : gt.at("annotations")) {
    nlohmann::json r = {{"image_id", g.at("image_id")}, {"category_id", g.at("category_id")}, {"bbox", g.at("bbox")},
                        {"score", 1.0}};
    truth.push_back(r);
    for (size_t c = 0; c < cats.size(); ++c)
      if (cats[c].at("id") == g.at("category_id")) r["category_id"] = cats[(c + 1) % cats.size()].at("id");
    misnamed.push_back(r);
  }
  write_file_atomic(dir / "truth.json", truth.dump());
  write_file_atomic(dir / "misnamed.json", misnamed.dump());
  for (const auto& [file, expected] : {std::pair<std::string, double>{"truth", 1.0}, {"misnamed", 0.0}}) {
    auto s = run_cli({"eval", "detection", "--results", dir / (file + ".json"), "--data", data, "--out",
                      dir / (file + "_scores.json")},
                     dir / ("log_" + file));
    ASSERT_EQ(s.exit_code, 0) << s.output;
    const auto m = read_json(dir / (file + "_scores.json")).at("metrics");
    EXPECT_DOUBLE_EQ(m.at("AP").get<double>(), expected) << file;
    EXPECT_DOUBLE_EQ(m.at("voc07_mAP").get<double>(), expected) << file;
  }
  auto both = run_cli({"eval", "detection", run, "--results", dir / "truth.json", "--data", data}, dir / "log_both");
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_TRUE(contains(both.output, "drop the weights")) << both.output;

  // Weights whose categories differ from the data's.
  const auto other = write_untrained_weights(dir, "faster_rcnn_small", "other.safetensors");
  auto mismatch = run_cli({"eval", "detection", other, "--data", data, "--limit", "1"}, dir / "log_mismatch");
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.output;
  EXPECT_TRUE(contains(mismatch.output, "detects categories [5, 7, 9] but")) << mismatch.output;
}

}  // namespace
}  // namespace beyond
