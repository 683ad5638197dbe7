#include "beyond/data/dataloader.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/core/threads.h"

namespace beyond::data {

namespace detail {
namespace {

/// Uniform integer in [0, bound) without modulo bias (bound > 0).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  uint64_t r = rng();
  while (r < threshold) r = rng();
  return r % bound;
}

}  // namespace

std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  const auto e = static_cast<uint64_t>(epoch);
  // seed_seq's mixing is specified by the standard, so the stream is the same everywhere.
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(e),
                    static_cast<uint32_t>(e >> 32), uint32_t{0x6265796fu} /* "beyo" */};
  std::mt19937_64 rng(seq);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

}  // namespace detail

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  BEYOND_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  BEYOND_CHECK(options_.batch_size() > 0, "DataLoader: batch_size must be positive, got ", options_.batch_size(),
               " (set batch_size, e.g. DataLoaderOptions().batch_size(64))");
  BEYOND_CHECK(options_.prefetch() >= 0, "DataLoader: prefetch must be >= 0 (0 = no background thread), got ",
               options_.prefetch());
  const int64_t n = dataset_->size();
  BEYOND_CHECK(n > 0, "DataLoader: the dataset is empty; there is nothing to stream");
  const int64_t bs = options_.batch_size();
  batches_per_epoch_ = options_.drop_last() ? n / bs : (n + bs - 1) / bs;
  BEYOND_CHECK(batches_per_epoch_ > 0, "DataLoader: the dataset holds ", n, " examples, fewer than one batch of ", bs,
               " with drop_last; lower batch_size to at most ", n, " or set drop_last(false)");
}

DataLoader::~DataLoader() { stop_worker(); }

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  BEYOND_CHECK(epoch >= 0, "DataLoader::epoch_order: epoch must be >= 0, got ", epoch);
  const int64_t n = dataset_->size();
  if (!options_.shuffle()) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    return order;
  }
  return detail::shuffled_order(n, options_.seed(), epoch);
}

std::vector<int64_t> DataLoader::indices_at(int64_t global_batch) const {
  BEYOND_CHECK(global_batch >= 0, "DataLoader: batch number must be >= 0, got ", global_batch);
  const int64_t epoch = global_batch / batches_per_epoch_;
  const int64_t in_epoch = global_batch % batches_per_epoch_;
  std::shared_ptr<const std::vector<int64_t>> order;
  {
    std::lock_guard<std::mutex> lock(order_mutex_);
    if (cached_epoch_ != epoch || cached_order_ == nullptr) {
      cached_order_ = std::make_shared<const std::vector<int64_t>>(epoch_order(epoch));
      cached_epoch_ = epoch;
    }
    order = cached_order_;
  }
  const int64_t n = static_cast<int64_t>(order->size());
  const int64_t begin = in_epoch * options_.batch_size();
  const int64_t end = std::min(n, begin + options_.batch_size());
  return std::vector<int64_t>(order->begin() + begin, order->begin() + end);
}

Batch DataLoader::batch_at(int64_t global_batch) const { return dataset_->get_batch(indices_at(global_batch)); }

void DataLoader::seek(int64_t global_batch) {
  BEYOND_CHECK(global_batch >= 0, "DataLoader::seek: batch number must be >= 0, got ", global_batch);
  stop_worker();
  position_ = global_batch;
}

Batch DataLoader::next() {
  if (options_.prefetch() == 0) {
    Batch b = batch_at(position_);
    ++position_;
    return b;
  }
  if (!worker_.joinable()) start_worker();
  Prepared p;
  {
    std::unique_lock<std::mutex> lock(queue_mutex_);
    queue_cv_.wait(lock, [&] { return !queue_.empty(); });
    p = std::move(queue_.front());
    queue_.pop_front();
  }
  queue_cv_.notify_all();
  if (p.error) {
    // The worker has exited after the failure; the next call retries the same batch.
    stop_worker();
    std::rethrow_exception(p.error);
  }
  BEYOND_CHECK(p.global_batch == position_, "DataLoader: internal error, prefetched batch ", p.global_batch,
               " but expected ", position_);
  ++position_;
  return std::move(p.batch);
}

void DataLoader::start_worker() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stop_ = false;
    queue_.clear();
  }
  worker_ = std::thread([this, first = position_] { worker_loop(first); });
}

void DataLoader::stop_worker() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  worker_.join();
  std::lock_guard<std::mutex> lock(queue_mutex_);
  queue_.clear();
  stop_ = false;
}

void DataLoader::worker_loop(int64_t first) {
  torch::NoGradGuard no_grad;
  use_one_intra_op_thread_on_this_thread();
  const auto capacity = static_cast<size_t>(options_.prefetch());
  for (int64_t g = first;; ++g) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stop_ || queue_.size() < capacity; });
      if (stop_) return;
    }
    Prepared p;
    p.global_batch = g;
    try {
      p.batch = batch_at(g);
    } catch (...) {
      p.error = std::current_exception();
    }
    const bool failed = static_cast<bool>(p.error);
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      if (stop_) return;
      queue_.push_back(std::move(p));
    }
    queue_cv_.notify_all();
    if (failed) return;
  }
}

void for_each_batch(const Dataset& dataset, int64_t batch_size, const std::function<void(const Batch&)>& fn) {
  BEYOND_CHECK(batch_size > 0, "for_each_batch: batch_size must be positive, got ", batch_size);
  const int64_t n = dataset.size();
  std::vector<int64_t> indices;
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    const int64_t end = std::min(n, begin + batch_size);
    indices.resize(static_cast<size_t>(end - begin));
    std::iota(indices.begin(), indices.end(), begin);
    fn(dataset.get_batch(indices));
  }
}

}  // namespace beyond::data
