// Detection on awkward input: images without objects in training, degenerate boxes in annotations,
// images larger than the memory settings allow, weights of another model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "beyond/core/image.h"
#include "beyond/core/safetensors.h"
#include "beyond/data/coco_detection.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/build_detector.h"
#include "beyond/models/detection/detection_transform.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
using test::error_of;

/// The small from-scratch detector of `config` at a 64-pixel scale, 3 object classes.
models::GeneralizedRCNN small_detector(const std::string& config) {
  torch::manual_seed(11);
  Config cfg = Config::builtin(config);
  cfg.set("model.transform.min_size", "[64]");
  cfg.set("model.transform.test_min_size", "64");
  return build_detector(cfg, 4);
}

Instances target(const torch::Tensor& boxes, const torch::Tensor& labels) {
  Instances t(64, 80);
  t.set_boxes(Boxes(boxes));
  t.set_labels(labels);
  return t;
}

Instances no_objects() { return target(torch::zeros({0, 4}), torch::zeros({0}, torch::kLong)); }

/// One SGD step on `images` / `targets`; checks every loss and gradient is finite and that the step
/// changed the weights. Returns the losses.
std::map<std::string, double> train_step(models::GeneralizedRCNN& model, const std::vector<torch::Tensor>& images,
                                         const std::vector<Instances>& targets,
                                         const std::vector<torch::Tensor>& proposals = {}) {
  model->train();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01));
  const auto out = model->forward(images, targets, proposals);
  const auto loss = models::GeneralizedRCNNImpl::total_loss(out);
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  sgd.zero_grad();
  loss.backward();
  const auto before = model->roi_heads()->named_parameters()["box_predictor.cls_score.weight"].clone();
  for (const auto& p : model->named_parameters()) {
    if (p.value().grad().defined()) {
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    }
  }
  sgd.step();
  EXPECT_FALSE(torch::equal(before, model->roi_heads()->named_parameters()["box_predictor.cls_score.weight"]));
  std::map<std::string, double> losses;
  for (const auto& [k, v] : out.losses) losses[k] = v.item<double>();
  return losses;
}

TEST(DetectionBadInput, FasterRcnnTrainsOnAnImageWithoutObjects) {
  auto model = small_detector("faster_rcnn_small");
  const auto image = torch::rand({3, 64, 80});
  auto losses = train_step(model, {image}, {no_objects()});
  // Everything is background: no box regression, but the classifiers still learn.
  EXPECT_EQ(losses.at("loss_box_reg"), 0.0);
  EXPECT_EQ(losses.at("loss_rpn_box_reg"), 0.0);
  EXPECT_GT(losses.at("loss_classifier"), 0.0);
  EXPECT_GT(losses.at("loss_objectness"), 0.0);
  // A batch that mixes a negative image with a positive one.
  losses = train_step(model, {image, torch::rand({3, 64, 80})},
                      {no_objects(), target(torch::tensor({{10.f, 12.f, 40.f, 50.f}}), torch::tensor({2L}))});
  EXPECT_GT(losses.at("loss_box_reg") + losses.at("loss_rpn_box_reg"), 0.0);
}

TEST(DetectionBadInput, FastRcnnTrainsOnAnImageWithoutObjects) {
  auto model = small_detector("fast_rcnn_small");
  const auto proposals = torch::tensor({{0.f, 0.f, 30.f, 30.f}, {20.f, 10.f, 70.f, 60.f}, {5.f, 5.f, 15.f, 25.f}});
  const auto losses = train_step(model, {torch::rand({3, 64, 80})}, {no_objects()}, {proposals});
  EXPECT_EQ(losses.at("loss_box_reg"), 0.0);
  EXPECT_GT(losses.at("loss_classifier"), 0.0);
}

/// A COCO file over three images: one with a good box, a zero-width box (id 11) and a thin crowd box;
/// one with a box under one pixel high (id 12); one without annotations (a negative).
struct AwkwardCoco {
  test::TempDir dir;
  AwkwardCoco() {
    std::filesystem::create_directories(dir.path() / "images");
    for (const char* name : {"a.png", "b.png", "c.png"})
      write_image(dir / (std::string("images/") + name), torch::randint(0, 256, {3, 24, 32}, torch::kUInt8));
    std::ofstream(dir / "ann.json") << R"({
      "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 24},
                 {"id": 2, "file_name": "b.png", "width": 32, "height": 24},
                 {"id": 3, "file_name": "c.png", "width": 32, "height": 24}],
      "categories": [{"id": 4, "name": "bag"}],
      "annotations": [
        {"id": 10, "image_id": 1, "category_id": 4, "bbox": [2, 2, 10, 8], "area": 80, "iscrowd": 0},
        {"id": 11, "image_id": 1, "category_id": 4, "bbox": [5, 5, 0, 8], "area": 0, "iscrowd": 0},
        {"id": 13, "image_id": 1, "category_id": 4, "bbox": [0, 0, 0.5, 8], "area": 4, "iscrowd": 1},
        {"id": 12, "image_id": 2, "category_id": 4, "bbox": [3, 3, 9, 0.5], "area": 4.5, "iscrowd": 0}]})";
  }
  data::CocoDetectionOptions options() const {
    return data::CocoDetectionOptions(dir / "ann.json", dir / "images").masks(false);
  }
};

TEST(DetectionBadInput, DegenerateBoxesAreDroppedWithAWarningNamingThem) {
  AwkwardCoco coco;
  testing::internal::CaptureStderr();
  data::CocoDetection dropped(coco.options().drop_degenerate_boxes(true).min_box_side(1.0));
  const std::string warning = testing::internal::GetCapturedStderr();
  EXPECT_EQ(dropped.dropped_annotation_ids(), (std::vector<int64_t>{11, 12}));
  EXPECT_NE(warning.find("left out 2 annotation(s)"), std::string::npos) << warning;
  EXPECT_NE(warning.find("ids 11, 12"), std::string::npos) << warning;
  EXPECT_NE(warning.find(coco.dir / "ann.json"), std::string::npos) << warning;
  // Image 1 keeps its good box and the crowd region; image 2 is left with no object.
  EXPECT_EQ(dropped.get(0).target.size(), 2);
  EXPECT_EQ(dropped.get(1).target.size(), 0);
  // Without the option nothing is dropped or said.
  testing::internal::CaptureStderr();
  data::CocoDetection kept(coco.options());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(kept.dropped_annotation_ids().empty());
  EXPECT_EQ(kept.get(1).target.size(), 1);
}

TEST(DetectionBadInput, ImagesWithoutAnnotationsAreNegativesWithEmptyTargets) {
  AwkwardCoco coco;
  data::CocoDetection ds(coco.options());
  const auto s = ds.get(2);
  EXPECT_EQ(s.target.boxes().tensor().sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(s.target.labels().numel(), 0);
  EXPECT_EQ(s.target.labels().scalar_type(), torch::kLong);
  // ... and a detector trains on it as it is.
  auto model = small_detector("faster_rcnn_small");
  Instances t(s.height(), s.width());
  t.set_boxes(s.target.boxes());
  t.set_labels(s.target.labels());
  const auto losses = train_step(model, {s.image}, {t});
  EXPECT_EQ(losses.at("loss_box_reg"), 0.0);
}

TEST(DetectionBadInput, ImageAboveMaxInputPixelsIsAClearError) {
  const models::DetectionTransform transform(models::DetectionTransformOptions().max_input_pixels(40 * 50 - 1));
  const auto message = error_of([&] { transform.forward({torch::rand({3, 20, 20}), torch::rand({3, 40, 50})}); });
  EXPECT_NE(message.find("detector input 1 is 40x50 = 2000 pixels, more than max_input_pixels 1999"),
            std::string::npos)
      << message;
  EXPECT_EQ(error_of([&] { models::DetectionTransform(models::DetectionTransformOptions().max_input_pixels(2000))
                               .forward({torch::rand({3, 40, 50})}); }),
            "");
}

TEST(DetectionBadInput, WeightsOfAnotherBackboneNameTheFirstTensorShapesAndCounts) {
  auto small = small_detector("faster_rcnn_small");
  torch::manual_seed(0);
  Config r18 = Config::builtin("faster_rcnn_small");
  r18.set("model.backbone", "resnet18_fpn");
  auto other = build_detector(r18, 4);
  const auto message = error_of([&] { load_state_dict(*other, state_dict(*small, "model."), "model.", "small.st"); });
  EXPECT_NE(message.find("small.st: tensor 'model.backbone.body.conv1.weight' has shape [32, 3, 7, 7], the model "
                         "expects [64, 3, 7, 7]"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(" missing, "), std::string::npos) << message;
  EXPECT_NE(message.find(" not in the model, of "), std::string::npos) << message;
  // Nothing was copied.
  EXPECT_FALSE(torch::equal(state_dict(*other).at("roi_heads.box_predictor.cls_score.weight"),
                            state_dict(*small).at("roi_heads.box_predictor.cls_score.weight")));
}

}  // namespace
}  // namespace beyond
