// The distortions generator: sizes, determinism per (seed, stream, index), and each family's effect.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/data/generators/distortions.h"
#include "support/helpers.h"

namespace beyond::data {
namespace {

const std::vector<std::string> kNames = {"r", "rts", "p", "e", "cluttered"};

TEST(Distortions, CanvasSizesAndRange) {
  auto x = test::blob_images(5, 1);
  for (const auto& name : kNames) {
    auto kind = parse_distortion(name);
    auto y = distort(x, DistortionOptions(kind).seed(3), 0, 0);
    const int64_t s = name == "rts" ? 42 : name == "cluttered" ? 60 : 28;
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{5, 1, s, s})) << name;
    EXPECT_GE(y.min().item<double>(), 0.0);
    EXPECT_LE(y.max().item<double>(), 1.0);
    EXPECT_GT(y.sum().item<double>(), 0.0) << name;  // the item is still there
    EXPECT_EQ(distortion_name(kind), name);
  }
}

TEST(Distortions, DeterministicPerSeedStreamAndIndex) {
  auto x = test::blob_images(8, 2);
  for (const auto& name : kNames) {
    auto o = DistortionOptions(parse_distortion(name)).seed(7);
    auto a = distort(x, o, 1, 100, x), b = distort(x, o, 1, 100, x);
    EXPECT_TRUE(torch::equal(a, b)) << name;
    // Item i of a batch starting at index 100 is item i-3 of a batch starting at 103: the batch does not matter.
    auto c = distort(x.slice(0, 3), o, 1, 103, x);
    EXPECT_TRUE(torch::equal(a.slice(0, 3), c)) << name;
    EXPECT_FALSE(torch::equal(a, distort(x, DistortionOptions(o.kind()).seed(8), 1, 100, x))) << name;
    EXPECT_FALSE(torch::equal(a, distort(x, o, 2, 100, x))) << name;
  }
}

TEST(Distortions, ThreadCountDoesNotChangeTheResult) {
  auto x = test::blob_images(200, 4);
  auto o = DistortionOptions(DistortionKind::Elastic).seed(1);
  const int before = torch::get_num_threads();
  torch::set_num_threads(1);
  auto one = distort(x, o, 0, 0);
  torch::set_num_threads(2);
  auto two = distort(x, o, 0, 0);
  torch::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST(Distortions, RotationKeepsTheMassAndMovesIt) {
  // A blob rotates about the centre: its total intensity stays (it stays inside), its position changes.
  auto x = torch::zeros({1, 1, 28, 28});
  x.slice(2, 6, 10).slice(3, 12, 16).fill_(1.0);  // a square above the centre
  auto y = distort(x, DistortionOptions(DistortionKind::Rotation).seed(5), 0, 0);
  EXPECT_NEAR(y.sum().item<double>(), x.sum().item<double>(), 0.05 * x.sum().item<double>());
  EXPECT_FALSE(torch::allclose(y, x, 1e-3, 1e-3));
}

TEST(Distortions, ClutterAddsFragmentsOfOtherImages) {
  auto x = torch::zeros({1, 1, 28, 28});
  auto source = torch::ones({4, 1, 28, 28});
  auto o = DistortionOptions(DistortionKind::Cluttered).seed(2).clutter_pieces(3).clutter_piece_size(5);
  auto y = distort(x, o, 0, 0, source);
  EXPECT_GE(y.sum().item<double>(), 25.0);        // at least one whole 5x5 fragment (they may overlap)
  EXPECT_LE(y.sum().item<double>(), 3 * 25.0);
  o.clutter_pieces(0);
  EXPECT_EQ(distort(x, o, 0, 0, source).sum().item<double>(), 0.0);
}

TEST(Distortions, BadInputIsRejectedWithAMessage) {
  EXPECT_NE(test::error_of([] { parse_distortion("shear"); }).find("known: r, rts, p, e, cluttered"),
            std::string::npos);
  auto msg = test::error_of([] { distort(torch::zeros({2, 1, 32, 32}), DistortionOptions(), 0, 0); });
  EXPECT_NE(msg.find("[N, 1, 28, 28]"), std::string::npos) << msg;
}

}  // namespace
}  // namespace beyond::data
