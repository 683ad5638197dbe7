// `beyond eval coco | voc | seg` through the CLI binary: results, JSON output, and bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "beyond/core/image.h"
#include "beyond/data/formats/voc.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace {

using beyond::test::run_cli;
using beyond::test::TempDir;

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

const char* kGt = R"({"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 100},
                                  {"id": 2, "file_name": "b.png", "width": 100, "height": 100}],
  "categories": [{"id": 1, "name": "thing"}],
  "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
                  {"id": 2, "image_id": 2, "category_id": 1, "bbox": [50, 50, 40, 40], "area": 1600, "iscrowd": 0}]})";

TEST(CliEvalCoco, PrintsTheSummaryAndWritesJson) {
  TempDir dir;
  write(dir / "gt.json", kGt);
  write(dir / "dt.json", R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
                             {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.95}])");
  auto r = run_cli({"eval", "coco", "--gt", dir / "gt.json", "--pred", dir / "dt.json", "--type", "bbox", "--json",
                    dir / "out.json"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // FP (.95) then TP: precision .5 up to recall .5 -> AP = 51 * .5 / 101 = 0.252
  EXPECT_NE(r.output.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.252"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.000"),
            std::string::npos)
      << r.output;
  std::ifstream in(dir / "out.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"AP\": 0.2524752475"), std::string::npos) << json;
  EXPECT_NE(json.find("\"thing\""), std::string::npos) << json;
}

TEST(CliEvalCoco, BadInputExitsOneWithTheFileName) {
  TempDir dir;
  write(dir / "gt.json", kGt);
  write(dir / "bad.json", R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": )");
  auto r = run_cli({"eval", "coco", "--gt", dir / "gt.json", "--pred", dir / "bad.json"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("bad.json"), std::string::npos) << r.output;

  r = run_cli({"eval", "coco", "--gt", dir / "missing.json", "--pred", dir / "bad.json"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("missing.json"), std::string::npos) << r.output;

  r = run_cli({"eval", "coco", "--gt", dir / "gt.json", "--pred", dir / "bad.json", "--type", "boxes"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;  // usage error
}

TEST(CliEval, RunDirectoryFormStillNeedsADirectory) {
  TempDir dir;
  auto r = run_cli({"eval"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("coco, voc, seg"), std::string::npos) << r.output;
  r = run_cli({"eval", (dir / "no_such_run")}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;  // the old form is still parsed as a run directory
  EXPECT_NE(r.output.find("not a beyond run directory"), std::string::npos) << r.output;
}

TEST(CliEvalVoc, DevkitLayout) {
  TempDir dir;
  const auto xml = [](const std::string& objects) { 
    return "<annotation><filename>x.jpg</filename><size><width>100</width><height>100</height></size>" + objects +
           "</annotation>";
  };
  const auto object = [](const std::string& name, int x1, int y1, int x2, int y2, int difficult) {
    return "<object><name>" + name + "</name><difficult>" + std::to_string(difficult) + "</difficult><bndbox><xmin>" +
           std::to_string(x1) + "</xmin><ymin>" + std::to_string(y1) + "</ymin><xmax>" + std::to_string(x2) +
           "</xmax><ymax>" + std::to_string(y2) + "</ymax></bndbox></object>";
  };
  write(dir / "VOC/Annotations/000001.xml", xml(object("cat", 1, 1, 10, 10, 0) + object("cat", 21, 21, 30, 30, 1)));
  write(dir / "VOC/Annotations/000002.xml", xml(object("cat", 1, 1, 10, 10, 0) + object("dog", 5, 5, 50, 50, 0)));
  write(dir / "VOC/ImageSets/Main/test.txt", "000001\n000002\n");
  // the hand-computed case of voc_eval_test: TP, difficult, duplicate, TP, FP -> AP .8333, AP07 .8485
  write(dir / "dets/comp4_det_test_cat.txt",
        "000001 0.9 1 1 10 10\n000001 0.8 21 21 30 30\n000001 0.7 1 1 10 10\n000002 0.6 1 1 10 10\n"
        "000002 0.5 51 51 60 60\n");
  write(dir / "dets/comp4_det_test_dog.txt", "000002 0.9 5 5 50 50\n");
  auto r = run_cli({"eval", "voc", "--gt", dir / "VOC", "--set", "test", "--pred", dir / "dets", "--classes", "cat,dog",
                    "--json", dir / "voc.json"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cat                      2          5     0.8485     0.8333"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mAP                                       0.9242     0.9167"), std::string::npos) << r.output;

  write(dir / "dets/comp4_det_test_dog.txt", "000003 0.9 5 5 50 50\n");
  r = run_cli({"eval", "voc", "--gt", dir / "VOC", "--pred", dir / "dets", "--classes", "cat,dog"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("'000003'"), std::string::npos) << r.output;

  write(dir / "dets/comp4_det_test_dog.txt", "000002 0.9 5 5\n");
  r = run_cli({"eval", "voc", "--gt", dir / "VOC", "--pred", dir / "dets", "--classes", "cat,dog"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("comp4_det_test_dog.txt:1"), std::string::npos) << r.output;

  write(dir / "dets/comp4_det_test_dog.txt", "000002 0.9 5 5 50 50\n");
  write(dir / "VOC/Annotations/000002.xml", xml("<object><name>cat</name><bndbox><xmin>1</xmin></bndbox></object>"));
  r = run_cli({"eval", "voc", "--gt", dir / "VOC", "--pred", dir / "dets", "--classes", "cat,dog"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("000002.xml"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ymin"), std::string::npos) << r.output;
}

TEST(CliEvalSeg, LabelDirectories) {
  TempDir dir;
  std::filesystem::create_directories(dir / "gt");
  std::filesystem::create_directories(dir / "pred");
  // one-channel labels: gt 0 0 / 1 255, pred 0 1 / 1 1 -> confusion (0,0)=1 (0,1)=1 (1,1)=1
  beyond::write_image(dir / "gt/a.png", torch::tensor({0, 0, 1, 255}, torch::kUInt8).view({1, 2, 2}));
  beyond::write_image(dir / "pred/a.png", torch::tensor({0, 1, 1, 1}, torch::kUInt8).view({1, 2, 2}));
  auto r = run_cli({"eval", "seg", "--gt", dir / "gt", "--pred", dir / "pred", "--num-classes", "2", "--json",
                    dir / "seg.json"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // IoU 0: 1/2, IoU 1: 1/2 -> mIoU .5; pixel accuracy 2/3
  EXPECT_NE(r.output.find("mIoU 0.5000  fwIoU 0.5000  mACC 0.7500  pACC 0.6667  (3 pixels)"), std::string::npos)
      << r.output;

  // a VOC palette PNG: the palette indices are the labels
  beyond::voc::write_label_png(dir / "gt/a.png", {2, 2, {0, 0, 1, 255}});
  r = run_cli({"eval", "seg", "--gt", dir / "gt", "--pred", dir / "pred", "--num-classes", "2"}, dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mIoU 0.5000"), std::string::npos) << r.output;

  std::filesystem::remove(dir / "pred/a.png");
  r = run_cli({"eval", "seg", "--gt", dir / "gt", "--pred", dir / "pred", "--num-classes", "2"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("pred/a.png is missing"), std::string::npos) << r.output;
}

TEST(CliEvalSeg, BoundaryFScoreOnRequest) {
  TempDir dir;
  std::filesystem::create_directories(dir / "gt");
  std::filesystem::create_directories(dir / "pred");
  // a 4x4 square of class 1 in a 12x12 image; the prediction is the same square, or moved 4 pixels right
  auto square = [](int64_t left) {
    auto t = torch::zeros({1, 12, 12}, torch::kUInt8);
    t.index_put_({0, torch::indexing::Slice(4, 8), torch::indexing::Slice(left, left + 4)}, 1);
    return t;
  };
  beyond::write_image(dir / "gt/a.png", square(2));
  beyond::write_image(dir / "pred/a.png", square(2));
  auto score = [&](const std::string& json) {
    auto r = run_cli({"eval", "seg", "--gt", dir / "gt", "--pred", dir / "pred", "--num-classes", "2",
                      "--boundary-tolerance", "1", "--json", dir / json},
                     dir / "log");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::ifstream in(dir / json);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const auto same = score("same.json");
  EXPECT_NE(same.find("\"boundary_f\": 1,"), std::string::npos) << same;
  EXPECT_NE(same.find("\"mIoU\": 1,"), std::string::npos) << same;
  beyond::write_image(dir / "pred/a.png", square(6));
  const auto moved = score("moved.json");
  EXPECT_EQ(moved.find("\"boundary_f\": 1,"), std::string::npos) << moved;
  EXPECT_NE(moved.find("\"boundary_tolerance\": 1"), std::string::npos) << moved;
}

}  // namespace
