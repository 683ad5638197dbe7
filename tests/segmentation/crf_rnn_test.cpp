// CRF-as-RNN: the lattice Function's backward is the transpose of its forward (<A x, y> = <x, A^T y>),
// a float64 finite-difference gradient check of the whole layer (exact filtering), a directional
// finite-difference check of the lattice path, lattice vs exact layer outputs, and the options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <iostream>

#include "beyond/models/segmentation/crf_rnn.h"
#include "beyond/models/segmentation/fcn.h"
#include "support/helpers.h"

namespace beyond::models {
namespace {

/// A piecewise-constant colour image with noise: two regions split by a diagonal, [B, 3, H, W] in 0..255.
torch::Tensor test_images(int64_t batch, int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  auto y = torch::arange(h).view({h, 1}).expand({h, w});
  auto x = torch::arange(w).view({1, w}).expand({h, w});
  auto region = ((x + y) < (h + w) / 2).to(torch::kFloat64);
  auto colour = torch::stack({region * 150 + 50, 200 - region * 120, region * 60 + 90});
  return (colour.unsqueeze(0).expand({batch, 3, h, w}) + 8 * torch::randn({batch, 3, h, w}, torch::kFloat64))
      .clamp(0, 255);
}

TEST(CrfRnn, LatticeBackwardIsTheTransposeOfTheForward) {
  const auto images = test_images(2, 11, 13, 1);
  const auto features = crf_features(images, 5, 20);  // bilateral, float32 [2, 143, 5]
  const int64_t n = 11 * 13, labels = 6;
  torch::manual_seed(2);
  auto x = torch::rand({2, n, labels}).requires_grad_(true);
  const auto y = torch::randn({2, n, labels});
  const auto ax = lattice_gaussian_filter(x, features);
  const auto aty = torch::autograd::grad({ax}, {x}, {y})[0];  // the backward: A^T y
  // <A x, y> = <x, A^T y> per image, summed in double: the lattice in float32 agrees to rounding.
  for (int64_t b = 0; b < 2; ++b) {
    const double lhs = (ax[b].to(torch::kFloat64) * y[b].to(torch::kFloat64)).sum().item<double>();
    const double rhs = (x[b].detach().to(torch::kFloat64) * aty[b].to(torch::kFloat64)).sum().item<double>();
    EXPECT_NEAR(lhs, rhs, 1e-5 * std::max(1.0, std::abs(lhs))) << "image " << b;
  }
  // The backward is the transposed forward (reversed blur) exactly, and that differs from the plain
  // forward (the lattice's matrix is not symmetric), so the test can tell them apart.
  const auto transposed = lattice_gaussian_filter(y, features, true);
  EXPECT_TRUE(torch::equal(aty, transposed));
  EXPECT_GT((transposed - lattice_gaussian_filter(y, features)).abs().max().item<double>(), 1e-6);
  // The spatial kernel is one lattice shared by the batch.
  const auto spatial = crf_features(images, 3, 0);
  EXPECT_EQ(spatial.sizes(), (std::vector<int64_t>{1, n, 2}));
  const auto sx = lattice_gaussian_filter(x, spatial);
  const auto sty = torch::autograd::grad({sx}, {x}, {y})[0];
  const double lhs = (sx.to(torch::kFloat64) * y.to(torch::kFloat64)).sum().item<double>();
  const double rhs = (x.detach().to(torch::kFloat64) * sty.to(torch::kFloat64)).sum().item<double>();
  EXPECT_NEAR(lhs, rhs, 1e-5 * std::max(1.0, std::abs(lhs)));
}

/// Central finite differences of f against its autograd gradient, for every element of `inputs`.
void expect_gradients_match(const std::function<torch::Tensor()>& f, const std::vector<torch::Tensor>& inputs,
                            const std::vector<std::string>& names, double eps, double atol, double rtol) {
  const auto analytic = torch::autograd::grad({f()}, inputs);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto flat = inputs[k].view(-1);
    const auto grad = analytic[k].reshape(-1);
    double worst = 0;
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double saved = flat[i].item<double>();
      flat[i] = saved + eps;
      const double up = f().item<double>();
      flat[i] = saved - eps;
      const double down = f().item<double>();
      flat[i] = saved;
      const double numeric = (up - down) / (2 * eps), ours = grad[i].item<double>();
      worst = std::max(worst, std::abs(numeric - ours) - rtol * std::abs(numeric));
      ASSERT_NEAR(ours, numeric, atol + rtol * std::abs(numeric)) << names[k] << " element " << i;
    }
    EXPECT_LE(worst, atol) << names[k];
  }
}

TEST(CrfRnn, Float64GradientCheckWithExactFiltering) {
  // Every part of the layer but the lattice (softmax, kernel weights, compatibility, the recurrence,
  // the normalised Gaussian filtering) in float64 against finite differences.
  CrfRnn crf(CrfRnnOptions(3).iterations(3).theta_alpha(3).theta_beta(30).theta_gamma(1.5).filtering(CrfRnnFiltering::Exact));
  crf->to(torch::kFloat64);
  torch::manual_seed(3);
  {
    torch::NoGradGuard no_grad;  // away from the symmetric start, so every entry matters
    crf->compatibility.add_(0.3 * torch::randn({3, 3}, torch::kFloat64));
    crf->bilateral_weight.mul_(0.3).add_(0.1 * torch::randn({3}, torch::kFloat64));
    crf->spatial_weight.mul_(0.3).add_(0.1 * torch::randn({3}, torch::kFloat64));
  }
  const auto images = test_images(2, 4, 5, 4);
  auto logits = (2 * torch::randn({2, 3, 4, 5}, torch::kFloat64)).requires_grad_(true);
  const auto r = torch::randn({2, 3, 4, 5}, torch::kFloat64);
  const auto f = [&] { return (crf->forward(logits, images) * r).sum(); };
  expect_gradients_match(f, {logits, crf->bilateral_weight, crf->spatial_weight, crf->compatibility},
                         {"logits", "bilateral_weight", "spatial_weight", "compatibility"}, 1e-6, 1e-8, 1e-6);
}

TEST(CrfRnn, LatticePathGradientMatchesFiniteDifferences) {
  // The lattice path, float64 outside the float32 lattice: directional derivatives along random
  // directions of the logits and of every parameter against autograd (lattice backward included).
  CrfRnn crf(CrfRnnOptions(4).iterations(3).theta_alpha(6).theta_beta(25).theta_gamma(2));
  crf->to(torch::kFloat64);
  const auto images = test_images(2, 9, 10, 5);
  torch::manual_seed(6);
  auto logits = (2 * torch::randn({2, 4, 9, 10}, torch::kFloat64)).requires_grad_(true);
  const auto r = torch::randn({2, 4, 9, 10}, torch::kFloat64);
  const auto f = [&] { return (crf->forward(logits, images) * r).sum(); };
  const std::vector<torch::Tensor> inputs{logits, crf->bilateral_weight, crf->spatial_weight, crf->compatibility};
  const auto grads = torch::autograd::grad({f()}, inputs);
  for (int trial = 0; trial < 3; ++trial) {
    // A random direction of unit norm over all inputs together.
    std::vector<torch::Tensor> directions;
    double norm2 = 0;
    for (const auto& input : inputs) {
      directions.push_back(torch::randn_like(input));
      norm2 += directions.back().pow(2).sum().item<double>();
    }
    double analytic = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      directions[k] /= std::sqrt(norm2);
      analytic += (grads[k] * directions[k]).sum().item<double>();
    }
    // The step is large enough that the float32 rounding of the lattice (about 1e-5 in f) stays small.
    const double eps = 1e-2;
    const auto shift = [&](double s) {
      torch::NoGradGuard no_grad;
      for (size_t k = 0; k < inputs.size(); ++k) inputs[k].add_(s * directions[k]);
    };
    shift(eps);
    const double up = f().item<double>();
    shift(-2 * eps);
    const double down = f().item<double>();
    shift(eps);
    const double numeric = (up - down) / (2 * eps);
    EXPECT_NEAR(analytic, numeric, 2e-3 * std::abs(numeric) + 2e-3) << "trial " << trial;
  }
}

TEST(CrfRnn, LatticeAndExactFilteringAgree) {
  const auto images = test_images(1, 16, 18, 7);
  torch::manual_seed(8);
  const auto logits = torch::randn({1, 3, 16, 18});
  auto options = CrfRnnOptions(3).iterations(5).theta_alpha(8).theta_beta(20).theta_gamma(2);
  CrfRnn lattice(options), exact(options.filtering(CrfRnnFiltering::Exact));
  torch::NoGradGuard no_grad;
  const auto a = lattice->forward(logits, images.to(torch::kFloat32)), b = exact->forward(logits, images);
  const auto qa = torch::softmax(a, 1), qb = torch::softmax(b, 1);
  const double max_q = (qa - qb).abs().max().item<double>();
  const double agree = (a.argmax(1) == b.argmax(1)).to(torch::kFloat64).mean().item<double>();
  std::cout << "lattice vs exact CRF-RNN (16x18, 3 labels, 5 iterations): max |dQ| " << max_q << ", label agreement "
            << agree << "\n";
  EXPECT_LT(max_q, 0.1);
  EXPECT_GE(agree, 0.97);
  // And the CRF did something: the labelling is smoother than the noisy logits' argmax.
  const auto changes = [](const torch::Tensor& labels) {
    return (labels.slice(2, 1) != labels.slice(2, 0, -1)).sum().item<int64_t>();
  };
  EXPECT_LT(changes(a.argmax(1)), changes(logits.argmax(1)));
}

TEST(CrfRnn, ParametersIterationsAndErrors) {
  CrfRnn crf(CrfRnnOptions(4).iterations(2).eval_iterations(4));
  EXPECT_EQ(crf->bilateral_weight.sizes(), (std::vector<int64_t>{4}));
  EXPECT_TRUE(torch::equal(crf->compatibility, torch::ones({4, 4}) - torch::eye(4)));  // Potts
  EXPECT_TRUE(crf->compatibility.requires_grad());
  CrfRnn fixed(CrfRnnOptions(4).per_label_weights(false).learn_compatibility(false));
  EXPECT_EQ(fixed->spatial_weight.sizes(), (std::vector<int64_t>{1}));
  EXPECT_FALSE(fixed->compatibility.requires_grad());
  EXPECT_EQ(fixed->parameters().size(), 3u);

  const auto images = test_images(1, 6, 7, 9).to(torch::kFloat32);
  const auto logits = torch::randn({1, 4, 6, 7});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(crf->forward(logits, images, 0), logits));
  crf->train();
  EXPECT_TRUE(torch::allclose(crf->forward(logits, images), crf->forward(logits, images, 2)));
  crf->eval();
  EXPECT_TRUE(torch::allclose(crf->forward(logits, images), crf->forward(logits, images, 4)));
  EXPECT_FALSE(torch::allclose(crf->forward(logits, images, 2), crf->forward(logits, images, 4)));

  const auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  EXPECT_PRED2(has, test::error_of([&] { crf->forward(torch::randn({1, 3, 6, 7}), images); }),
               "expected logits [B, 4, H, W]");
  EXPECT_PRED2(has, test::error_of([&] { crf->forward(logits, images.slice(2, 0, 5)); }),
               "expected RGB images [1, 3, 6, 7]");
  EXPECT_PRED2(has, test::error_of([&] { CrfRnn(CrfRnnOptions(4).theta_beta(0)); }), "bandwidths");
}

TEST(CrfRnn, FcnPlusCrfRnnLearnsEndToEnd) {
  // FCN-8s + CRF-RNN on two tiny images (a disc = class 1 and a square = class 2 on a background):
  // the cross-entropy of the CRF's output ("the CRF loss") goes down over a few Adam steps, and
  // every CRF parameter receives a gradient.
  torch::manual_seed(10);
  const int64_t size = 32;
  auto y = torch::arange(size).view({size, 1}).expand({size, size});
  auto x = torch::arange(size).view({1, size}).expand({size, size});
  auto labels = torch::zeros({2, size, size}, torch::kInt64);
  labels[0].masked_fill_((x - 14).pow(2) + (y - 17).pow(2) < 64, 1);
  labels[1].masked_fill_((x >= 6) & (x < 22) & (y >= 9) & (y < 25), 2);
  const auto palette = torch::tensor({{90.0, 120.0, 80.0}, {220.0, 60.0, 50.0}, {50.0, 70.0, 210.0}});
  const auto rgb = (palette.index_select(0, labels.flatten()).view({2, size, size, 3}).permute({0, 3, 1, 2}) +
                    10 * torch::randn({2, 3, size, size}))
                       .clamp(0, 255);
  const auto inputs = (rgb / 255 - 0.5) / 0.25;
  Fcn fcn(FcnOptions(3).skips(2).vgg(
      FcnVggOptions().widths({4, 6, 8, 8, 8}).convs({1, 1, 1, 1, 1}).fc_channels(12).fc6_kernel(3).dropout(0)));
  CrfRnn crf(CrfRnnOptions(3).iterations(3).theta_alpha(10).theta_beta(20).theta_gamma(2));
  auto parameters = fcn->parameters();
  for (const auto& p : crf->parameters()) parameters.push_back(p);
  torch::optim::Adam adam(parameters, torch::optim::AdamOptions(1e-2));
  std::vector<double> losses;
  for (int step = 0; step < 12; ++step) {
    const auto scores = crf->forward(fcn->forward(inputs), rgb);
    const auto loss = torch::nn::functional::cross_entropy(scores, labels);
    adam.zero_grad();
    loss.backward();
    if (step == 0) {
      for (const auto& p : crf->parameters()) EXPECT_GT(p.grad().abs().sum().item<double>(), 0);
    }
    adam.step();
    losses.push_back(loss.item<double>());
  }
  std::cout << "FCN-8s + CRF-RNN loss: " << losses.front() << " -> " << losses.back() << "\n";
  EXPECT_LT(losses.back(), 0.8 * losses.front());
}

}  // namespace
}  // namespace beyond::models
