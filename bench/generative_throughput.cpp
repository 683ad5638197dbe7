// Training throughput of the VAE and the DCGAN in beyond: the same step as tasks/vae_task.cpp and
// tasks/gan_task.cpp (models, losses, our fused Adam, our DataLoader) on Fashion-MNIST.
// bench/generative_throughput.py runs this and the same models in PyTorch Python side by side.
//
//   generative_throughput --model vae --batch 128 --steps 400 --threads 2
// prints one JSON line: {"impl": "beyond", "model": "vae", "batch": 128, "threads": 2, "images_per_s": ...}
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "beyond/core/threads.h"
#include "beyond/data/dataloader.h"
#include "beyond/data/fashion_mnist.h"
#include "beyond/engine/fused_adam.h"
#include "beyond/losses/gan_loss.h"
#include "beyond/losses/vae_loss.h"
#include "beyond/models/generative/dcgan.h"
#include "beyond/models/generative/vae.h"

namespace {

struct Args {
  std::string model = "vae";
  int64_t batch = 128;
  int64_t steps = 300;
  int64_t warmup = 20;
  int threads = 1;
  int64_t prefetch = 0;  // as configs/*.yaml: in-memory data needs no prefetch thread
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") a.model = v;
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--prefetch") a.prefetch = std::stoll(v);
    else throw std::runtime_error("unknown argument " + k);
  }
  return a;
}

/// Runs `step` warmup + steps times and returns images per second over the timed steps.
template <typename Step>
double measure(const Args& a, Step&& step) {
  for (int64_t i = 0; i < a.warmup; ++i) step();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < a.steps; ++i) step();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(a.steps * a.batch) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace beyond;
  const Args a = parse(argc, argv);
  configure_threads(a.threads);  // as the CLI does
  torch::manual_seed(0);
  auto train = data::load_fashion_mnist(data::kFashionMnistDir, "train");
  data::DataLoader loader(std::make_shared<data::TensorDataset>(train.images),
                          data::DataLoaderOptions().batch_size(a.batch).seed(0).prefetch(a.prefetch));
  double rate = 0;
  if (a.model == "vae") {
    models::Vae vae(models::VaeOptions(784, 400, 20).image_shape({1, 28, 28}));
    FusedAdam opt(vae->parameters(), torch::optim::AdamOptions(1e-3));  // as engine/optimizer.cpp
    rate = measure(a, [&] {
      auto x = loader.next().data;
      auto out = vae->forward(x);
      auto loss = losses::vae_loss(out.logits, x, out.mu, out.logvar).total();
      opt.zero_grad();
      loss.backward();
      opt.step();
    });
  } else if (a.model == "dcgan") {
    models::DcganGenerator g(models::DcganGeneratorOptions(100, 64));
    models::DcganDiscriminator d(models::DcganDiscriminatorOptions(64));
    auto adam = [](auto params) {
      return FusedAdam(params, torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
    };
    auto opt_g = adam(g->parameters());
    auto opt_d = adam(d->parameters());
    const auto kind = losses::GanLossKind::NonSaturating;
    rate = measure(a, [&] {
      auto real = loader.next().data * 2 - 1;
      auto fake = g->forward(torch::randn({real.size(0), 100}));
      auto d_loss = losses::discriminator_loss(d->forward(real), d->forward(fake.detach()), kind);
      opt_d.zero_grad();
      d_loss.backward();
      opt_d.step();
      auto g_loss = losses::generator_loss(d->forward(fake), kind);
      opt_g.zero_grad();
      g_loss.backward();
      opt_g.step();
    });
  } else {
    std::fprintf(stderr, "unknown --model %s (vae or dcgan)\n", a.model.c_str());
    return 2;
  }
  std::printf("{\"impl\": \"beyond\", \"model\": \"%s\", \"batch\": %lld, \"threads\": %d, \"images_per_s\": %.1f}\n",
              a.model.c_str(), static_cast<long long>(a.batch), a.threads, rate);
  return 0;
}
