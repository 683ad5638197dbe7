#pragma once
/// An endless, reproducible stream of batches over epochs, with optional background prefetching.
///
/// Batch number g (counted from 0 across epochs) holds the examples at positions
/// [b * batch_size, (b + 1) * batch_size) of epoch_order(g / batches_per_epoch()), b = g % batches_per_epoch().
/// The order of an epoch is a pure function of (seed, epoch) -- std::mt19937_64 and our own Fisher-Yates --
/// and never touches the global torch generator, so resuming at batch g with seek(g) reproduces the run exactly.
///
///   auto ds = std::make_shared<beyond::data::TensorDataset>(images, labels);
///   beyond::data::DataLoader loader(ds, beyond::data::DataLoaderOptions().batch_size(128).seed(7));
///   loader.seek(resumed_step);
///   for (int64_t step = resumed_step; step < total_steps; ++step) {
///     beyond::data::Batch b = loader.next();
///     ...
///   }
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <torch/arg.h>

#include "beyond/data/dataset.h"

namespace beyond::data {

/// Options of a DataLoader.
///
///   DataLoaderOptions().batch_size(32).shuffle(false).prefetch(0)
struct DataLoaderOptions {
  /// Examples per batch.
  TORCH_ARG(int64_t, batch_size) = 64;
  /// Visit the examples in a fresh random order each epoch (otherwise in index order).
  TORCH_ARG(bool, shuffle) = true;
  /// Skip an epoch's last, incomplete batch so every batch has batch_size examples.
  TORCH_ARG(bool, drop_last) = true;
  /// Seed of the per-epoch permutations.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Batches prepared ahead by a background thread; 0 prepares each batch in next() itself.
  TORCH_ARG(int64_t, prefetch) = 2;
};

/// Streams batches of a Dataset forever, epoch after epoch.
///
/// Contract: next() returns batch_at(position()) and advances position() by one; the result does not
/// depend on `prefetch`. Exceptions thrown by Dataset::get_batch reach the caller of next() unchanged.
/// Not thread-safe itself: one consumer thread calls next()/seek().
class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Batches in one epoch: size / batch_size, rounded up unless drop_last.
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  /// The global number of the batch that next() returns.
  int64_t position() const { return position_; }
  /// Makes batch `global_batch` the next one returned (stops and restarts the prefetch thread).
  void seek(int64_t global_batch);
  /// The next batch of the stream.
  Batch next();
  /// Batch number `global_batch` of the stream, computed directly (no thread, no change of position).
  Batch batch_at(int64_t global_batch) const;
  /// Dataset indices of batch number `global_batch`.
  std::vector<int64_t> indices_at(int64_t global_batch) const;
  /// The order in which epoch `epoch` visits the dataset (a permutation of 0..size-1).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  const DataLoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return *dataset_; }

 private:
  struct Prepared {
    int64_t global_batch = 0;
    Batch batch;
    std::exception_ptr error;
  };

  void start_worker();
  void stop_worker();
  void worker_loop(int64_t first);

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  int64_t batches_per_epoch_ = 0;
  int64_t position_ = 0;

  // Cache of the most recent epoch order (batch_at is const and may be called from the worker).
  mutable std::mutex order_mutex_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::shared_ptr<const std::vector<int64_t>> cached_order_;

  // Prefetching.
  std::thread worker_;
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Prepared> queue_;
  bool stop_ = false;
};

/// One in-order pass over `dataset` in batches of `batch_size`, the last one possibly smaller;
/// for evaluation.
///
///   for_each_batch(*test_set, 256, [&](const Batch& b) { correct += count_correct(model(b.data), b.target); });
void for_each_batch(const Dataset& dataset, int64_t batch_size, const std::function<void(const Batch&)>& fn);

namespace detail {
/// The permutation of 0..n-1 for (seed, epoch): mt19937_64 seeded from both, Fisher-Yates with an
/// unbiased bounded draw. Identical on every platform.
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch);
}  // namespace detail

}  // namespace beyond::data
