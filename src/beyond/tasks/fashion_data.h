#pragma once
/// Fashion-MNIST as the generative and classifier tasks use it: the training stream (a DataLoader
/// configured from `data.*`) and the test set held in memory.
#include <functional>
#include <memory>

#include "beyond/data/dataloader.h"
#include "beyond/data/dataset.h"
#include "beyond/engine/task.h"

namespace beyond {

class Config;

struct FashionData {
  std::shared_ptr<const data::TensorDataset> train;
  std::unique_ptr<data::DataLoader> loader;
  torch::Tensor test_images;  ///< float [N,1,28,28] in [0,1]
  torch::Tensor test_labels;  ///< int64 [N]
};

/// Reads data.{root, batch_size, train_limit, test_limit, prefetch} and seed.
FashionData load_fashion_data(const Config& cfg);

/// Base of the tasks that train on Fashion-MNIST: owns the data and positions its stream.
class FashionTask : public Task {
 public:
  explicit FashionTask(const Config& cfg) : data_(load_fashion_data(cfg)) {}
  int64_t steps_per_epoch() const override { return data_.loader->batches_per_epoch(); }
  void seek(int64_t step) override { data_.loader->seek(step); }

 protected:
  FashionData data_;
};

/// Applies `fn` to consecutive slices of `x` (dim 0) of at most `chunk` rows and concatenates the results.
torch::Tensor map_chunks(const torch::Tensor& x, int64_t chunk, const std::function<torch::Tensor(const torch::Tensor&)>& fn);

}  // namespace beyond
