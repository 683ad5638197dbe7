#include "beyond/tasks/fashion_data.h"

#include <torch/torch.h>

#include "beyond/data/fashion_mnist.h"
#include "beyond/engine/config.h"

namespace beyond {

FashionData load_fashion_data(const Config& cfg) {
  const std::string root = cfg.get_string("data.root");
  FashionData d;
  auto train = data::load_fashion_mnist(root, "train", cfg.get_int("data.train_limit"));
  auto test = data::load_fashion_mnist(root, "test", cfg.get_int("data.test_limit"));
  d.train = std::make_shared<data::TensorDataset>(train.images, train.labels);
  d.loader = std::make_unique<data::DataLoader>(d.train, data::DataLoaderOptions()
                                                             .batch_size(cfg.get_int("data.batch_size"))
                                                             .shuffle(true)
                                                             .drop_last(true)
                                                             .seed(static_cast<uint64_t>(cfg.get_int("seed")))
                                                             .prefetch(cfg.get_int("data.prefetch")));
  d.test_images = test.images;
  d.test_labels = test.labels;
  return d;
}

torch::Tensor map_chunks(const torch::Tensor& x, int64_t chunk,
                         const std::function<torch::Tensor(const torch::Tensor&)>& fn) {
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < x.size(0); i += chunk) parts.push_back(fn(x.slice(0, i, std::min(x.size(0), i + chunk))));
  return torch::cat(parts, 0);
}

}  // namespace beyond
