#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "beyond/engine/fused_adam.h"

namespace beyond {
namespace {

/// Runs `steps` updates of `opt` on parameters shaped like a small MLP, with fixed random gradients.
std::vector<torch::Tensor> run(torch::optim::Optimizer& opt, std::vector<torch::Tensor>& params, int steps) {
  for (int s = 0; s < steps; ++s) {
    torch::manual_seed(100 + s);
    for (auto& p : params) p.mutable_grad() = torch::randn_like(p);
    opt.step();
  }
  std::vector<torch::Tensor> out;
  for (auto& p : params) out.push_back(p.detach().clone());
  return out;
}

std::vector<torch::Tensor> make_params(torch::ScalarType dtype = torch::kFloat32) {
  torch::manual_seed(7);
  // One tensor large enough to be split across threads, one small (a bias).
  return {torch::randn({300, 257}, dtype).requires_grad_(), torch::randn({257}, dtype).requires_grad_()};
}

template <typename Fused, typename Plain, typename Options>
void expect_matches_plain(const Options& options) {
  auto a = make_params(), b = make_params();
  Fused fused(a, options);
  Plain plain(b, options);
  auto fa = run(fused, a, 6), pb = run(plain, b, 6);
  for (size_t i = 0; i < fa.size(); ++i) {
    // Same float arithmetic in the same order; allow a few ulps for the scalar/vector sqrt paths.
    EXPECT_TRUE(torch::allclose(fa[i], pb[i], /*rtol=*/1e-6, /*atol=*/1e-7))
        << "max diff " << (fa[i] - pb[i]).abs().max().template item<double>();
  }
}

TEST(FusedAdam, MatchesTorchAdamWithAndWithoutWeightDecay) {
  expect_matches_plain<FusedAdam, torch::optim::Adam>(torch::optim::AdamOptions(1e-2));
  expect_matches_plain<FusedAdam, torch::optim::Adam>(
      torch::optim::AdamOptions(3e-3).betas({0.5, 0.99}).eps(1e-6).weight_decay(0.1));
}

TEST(FusedAdam, ChannelsLastParametersMatchTorchAdam) {
  // A convolution weight channels-last (Fcn::set_channels_last): fused over memory when the gradient has
  // the same strides, the plain path when it does not; both equal torch::optim::Adam.
  for (bool same_layout : {true, false}) {
    auto make = [] {
      torch::manual_seed(8);
      return std::vector<torch::Tensor>{
          torch::randn({16, 6, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_()};
    };
    auto a = make(), b = make();
    FusedAdam fused(a, torch::optim::AdamOptions(1e-2));
    torch::optim::Adam plain(b, torch::optim::AdamOptions(1e-2));
    for (int s = 0; s < 4; ++s) {
      torch::manual_seed(200 + s);
      const auto g = torch::randn({16, 6, 3, 3});
      a[0].mutable_grad() = same_layout ? g.contiguous(torch::MemoryFormat::ChannelsLast) : g;
      b[0].mutable_grad() = g;
      fused.step();
      plain.step();
    }
    EXPECT_TRUE(a[0].is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::allclose(a[0], b[0], 1e-6, 1e-7))
        << "same layout " << same_layout << ": max diff " << (a[0] - b[0]).abs().max().item<double>();
  }
}

TEST(FusedAdamW, MatchesTorchAdamW) {
  expect_matches_plain<FusedAdamW, torch::optim::AdamW>(torch::optim::AdamWOptions(1e-2).weight_decay(0.05));
}

TEST(FusedAdam, StateSerialisesLikeTorchAdam) {
  auto a = make_params(), b = make_params();
  FusedAdam fused(a, torch::optim::AdamOptions(1e-2));
  run(fused, a, 3);
  std::stringstream buffer;
  {
    torch::serialize::OutputArchive archive;
    fused.save(archive);
    archive.save_to(buffer);
  }
  // A plain Adam that takes over the fused one's state continues identically.
  for (size_t i = 0; i < a.size(); ++i) b[i].detach().copy_(a[i].detach());
  torch::optim::Adam plain(b, torch::optim::AdamOptions(1e-2));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  plain.load(in);
  auto fa = run(fused, a, 2), pb = run(plain, b, 2);
  for (size_t i = 0; i < fa.size(); ++i) EXPECT_TRUE(torch::allclose(fa[i], pb[i], 1e-6, 1e-7));
}

TEST(FusedAdam, FallsBackForDoubleAndAmsgrad) {
  auto a = make_params(torch::kFloat64), b = make_params(torch::kFloat64);
  FusedAdam fused(a, torch::optim::AdamOptions(1e-2));
  torch::optim::Adam plain(b, torch::optim::AdamOptions(1e-2));
  auto fa = run(fused, a, 3), pb = run(plain, b, 3);
  for (size_t i = 0; i < fa.size(); ++i) EXPECT_TRUE(torch::equal(fa[i], pb[i]));

  auto c = make_params(), d = make_params();
  FusedAdam fused_ams(c, torch::optim::AdamOptions(1e-2).amsgrad(true));
  torch::optim::Adam plain_ams(d, torch::optim::AdamOptions(1e-2).amsgrad(true));
  auto fc = run(fused_ams, c, 3), pd = run(plain_ams, d, 3);
  for (size_t i = 0; i < fc.size(); ++i) EXPECT_TRUE(torch::equal(fc[i], pd[i]));
}

TEST(FusedAdam, SkipsParametersWithoutGradient) {
  auto p = make_params();
  const auto before = p[1].detach().clone();
  FusedAdam opt(p, torch::optim::AdamOptions(1e-2));
  p[0].mutable_grad() = torch::ones_like(p[0]);
  opt.step();
  EXPECT_TRUE(torch::equal(p[1], before));
  EXPECT_FALSE(torch::equal(p[0], make_params()[0]));
}

}  // namespace
}  // namespace beyond
