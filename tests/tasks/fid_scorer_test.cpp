// The shipped FID classifier (weights/fashion_cnn.safetensors) and the FID built on it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/data/fashion_mnist.h"
#include "beyond/tasks/fid_scorer.h"

namespace beyond {
namespace {

TEST(FidScorer, ShippedClassifierIsAccurateAndFidSeparatesRealFromFake) {
  ASSERT_FALSE(find_weights("fashion_cnn").empty()) << "weights/fashion_cnn.safetensors is missing";
  FidScorer scorer("fashion_cnn");
  auto test = data::load_fashion_mnist(data::kFashionMnistDir, "test", 4000);
  EXPECT_GT(scorer.accuracy(test.images, test.labels), 0.91);

  auto a = test.images.slice(0, 0, 2000), b = test.images.slice(0, 2000, 4000);
  const auto reference = scorer.stats(a);
  EXPECT_NEAR(scorer.fid(a, reference), 0.0, 1e-3);  // a set against itself
  const double real = scorer.fid(b, reference);       // two halves of the test set: small
  torch::manual_seed(0);
  const double blurred = scorer.fid(torch::avg_pool2d(b, 5, 1, 2), reference);
  const double noise = scorer.fid(torch::rand_like(b), reference);
  EXPECT_LT(real, 2.0);
  EXPECT_GT(blurred, 5 * real);
  EXPECT_GT(noise, blurred);
}

TEST(FidScorer, MissingWeightsSayHowToMakeThem) {
  try {
    FidScorer scorer("no_such_classifier");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("beyond train classifier"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace beyond
