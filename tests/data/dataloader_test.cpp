#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include <torch/torch.h>

#include "support/helpers.h"
#include "beyond/core/error.h"
#include "beyond/data/dataloader.h"

using namespace beyond::data;

namespace {

using beyond::test::error_of;

std::shared_ptr<const Dataset> counting_dataset(int64_t n) {
  return std::make_shared<TensorDataset>(torch::arange(n).to(torch::kFloat32).unsqueeze(1), torch::arange(n));
}

bool same(const Batch& a, const Batch& b) { return torch::equal(a.data, b.data) && torch::equal(a.target, b.target); }

/// Throws on any batch that contains index `bad`.
class ThrowingDataset : public Dataset {
 public:
  explicit ThrowingDataset(int64_t bad) : bad_(bad) {}
  int64_t size() const override { return 40; }
  Batch get_batch(const std::vector<int64_t>& indices) const override {
    for (int64_t i : indices) BEYOND_CHECK(i != bad_, "ThrowingDataset: example ", i, " is broken");
    return inner_.get_batch(indices);
  }

 private:
  int64_t bad_;
  TensorDataset inner_{torch::arange(40).unsqueeze(1), torch::arange(40)};
};

}  // namespace

TEST(DataLoader, SameSeedSameBatchesDifferentSeedsDiffer) {
  auto ds = counting_dataset(100);
  DataLoader a(ds, DataLoaderOptions().batch_size(10).seed(1));
  DataLoader b(ds, DataLoaderOptions().batch_size(10).seed(1));
  DataLoader c(ds, DataLoaderOptions().batch_size(10).seed(2));
  bool differ = false;
  for (int i = 0; i < 25; ++i) {
    const Batch x = a.next(), y = b.next(), z = c.next();
    EXPECT_TRUE(same(x, y)) << "batch " << i;
    differ = differ || !same(x, z);
  }
  EXPECT_TRUE(differ);
}

TEST(DataLoader, EachEpochIsAPermutationAndEpochsDiffer) {
  auto ds = counting_dataset(37);
  DataLoader loader(ds, DataLoaderOptions().batch_size(5).seed(9));
  std::vector<int64_t> prev;
  for (int64_t e = 0; e < 4; ++e) {
    std::vector<int64_t> order = loader.epoch_order(e);
    EXPECT_EQ(order, loader.epoch_order(e));  // pure
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 37; ++i) EXPECT_EQ(sorted[i], i);
    EXPECT_NE(order, prev);
    prev = order;
  }
  // Targets of an epoch's batches are its order (drop_last drops the last 2).
  std::vector<int64_t> seen;
  for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
    const Batch batch = loader.next();
    for (int64_t i = 0; i < batch.target.size(0); ++i) seen.push_back(batch.target[i].item<int64_t>());
  }
  std::vector<int64_t> order = loader.epoch_order(0);
  order.resize(35);
  EXPECT_EQ(seen, order);
}

TEST(DataLoader, NoShuffleIsIndexOrder) {
  DataLoader loader(counting_dataset(10), DataLoaderOptions().batch_size(4).shuffle(false).drop_last(false));
  EXPECT_EQ(loader.indices_at(0), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(loader.indices_at(2), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(loader.indices_at(3), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(DataLoader, DropLastSizes) {
  auto ds = counting_dataset(23);
  DataLoader dropping(ds, DataLoaderOptions().batch_size(5).drop_last(true).prefetch(0));
  EXPECT_EQ(dropping.batches_per_epoch(), 4);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(dropping.next().data.size(0), 5);

  DataLoader keeping(ds, DataLoaderOptions().batch_size(5).drop_last(false).prefetch(0));
  EXPECT_EQ(keeping.batches_per_epoch(), 5);
  const std::vector<int64_t> expected = {5, 5, 5, 5, 3, 5, 5, 5, 5, 3};
  for (int64_t want : expected) EXPECT_EQ(keeping.next().data.size(0), want);
}

TEST(DataLoader, SeekEqualsBatchAtEqualsFreshStream) {
  auto ds = counting_dataset(50);
  const auto opts = DataLoaderOptions().batch_size(8).seed(5);
  DataLoader fresh(ds, opts);
  std::vector<Batch> stream;
  for (int i = 0; i < 21; ++i) stream.push_back(fresh.next());

  DataLoader seeker(ds, opts);
  seeker.next();  // start the prefetch thread, then seek away from it
  for (int64_t k : {13, 2, 19, 6, 7}) {
    seeker.seek(k);
    EXPECT_EQ(seeker.position(), k);
    const Batch b = seeker.next();
    EXPECT_TRUE(same(b, stream[k])) << "seek " << k;
    EXPECT_TRUE(same(seeker.batch_at(k), stream[k])) << "batch_at " << k;
    EXPECT_TRUE(same(seeker.next(), stream[k + 1])) << "after seek " << k;
  }
}

TEST(DataLoader, PrefetchZeroAndTwoIdentical) {
  auto ds = counting_dataset(64);
  DataLoader p0(ds, DataLoaderOptions().batch_size(7).seed(11).prefetch(0));
  DataLoader p2(ds, DataLoaderOptions().batch_size(7).seed(11).prefetch(2));
  DataLoader p5(ds, DataLoaderOptions().batch_size(7).seed(11).prefetch(5));
  for (int i = 0; i < 40; ++i) {
    const Batch a = p0.next();
    EXPECT_TRUE(same(a, p2.next())) << i;
    EXPECT_TRUE(same(a, p5.next())) << i;
  }
}

TEST(DataLoader, DoesNotTouchGlobalGenerator) {
  torch::manual_seed(123);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(123);
  DataLoader loader(counting_dataset(30), DataLoaderOptions().batch_size(3));
  for (int i = 0; i < 15; ++i) loader.next();
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(DataLoader, ExceptionsPropagateFromPrefetchThread) {
  for (int64_t prefetch : {0, 2}) {
    auto ds = std::make_shared<ThrowingDataset>(/*bad=*/17);
    DataLoader loader(ds, DataLoaderOptions().batch_size(4).shuffle(false).prefetch(prefetch));
    for (int i = 0; i < 4; ++i) EXPECT_NO_THROW(loader.next());
    const std::string msg = error_of([&] { loader.next(); });  // batch 4 holds 16..19
    EXPECT_NE(msg.find("example 17 is broken"), std::string::npos) << "prefetch " << prefetch << ": " << msg;
    EXPECT_EQ(loader.position(), 4);
    loader.seek(5);
    EXPECT_EQ(loader.next().target[0].item<int64_t>(), 20);
  }
}

TEST(DataLoader, DestroyWhilePrefetching) {
  for (int i = 0; i < 20; ++i) {
    DataLoader loader(counting_dataset(100), DataLoaderOptions().batch_size(2).prefetch(3));
    if (i % 2) loader.next();
  }
  SUCCEED();
}

TEST(DataLoader, Errors) {
  auto ds = counting_dataset(10);
  std::string msg = error_of([&] { DataLoader(ds, DataLoaderOptions().batch_size(0)); });
  EXPECT_NE(msg.find("batch_size must be positive"), std::string::npos) << msg;
  msg = error_of([&] { DataLoader(ds, DataLoaderOptions().batch_size(11)); });
  EXPECT_NE(msg.find("10 examples"), std::string::npos) << msg;
  EXPECT_NE(msg.find("drop_last"), std::string::npos) << msg;
  EXPECT_NO_THROW(DataLoader(ds, DataLoaderOptions().batch_size(11).drop_last(false)));
  msg = error_of([&] { for_each_batch(*ds, -1, [](const Batch&) {}); });
  EXPECT_NE(msg.find("batch_size"), std::string::npos) << msg;
}

TEST(DataLoader, ForEachBatchCoversInOrderWithPartialLast) {
  auto ds = counting_dataset(23);
  std::vector<int64_t> sizes, seen;
  for_each_batch(*ds, 10, [&](const Batch& b) {
    sizes.push_back(b.data.size(0));
    for (int64_t i = 0; i < b.target.size(0); ++i) seen.push_back(b.target[i].item<int64_t>());
  });
  EXPECT_EQ(sizes, (std::vector<int64_t>{10, 10, 3}));
  for (int64_t i = 0; i < 23; ++i) EXPECT_EQ(seen[i], i);
}

TEST(TensorDataset, ChecksShapesAndIndices) {
  EXPECT_THROW(TensorDataset(torch::zeros({5, 2}), torch::zeros({4})), beyond::Error);
  TensorDataset ds(torch::arange(6).view({3, 2}));
  const Batch b = ds.get_batch({2, 0});
  EXPECT_FALSE(b.target.defined());
  EXPECT_TRUE(torch::equal(b.data, torch::tensor({4, 5, 0, 1}, torch::kInt64).view({2, 2})));
  EXPECT_THROW(ds.get_batch({3}), beyond::Error);
}

TEST(DataLoader, ShuffledOrderIsFixedAcrossPlatforms) {
  // Pin the stream so that a change to the shuffle (which would break resuming old runs) is noticed.
  const std::vector<int64_t> a = beyond::data::detail::shuffled_order(10, 0, 0);
  const std::vector<int64_t> b = beyond::data::detail::shuffled_order(10, 0, 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(beyond::data::detail::shuffled_order(10, 0, 1), a);
  EXPECT_NE(beyond::data::detail::shuffled_order(10, 1, 0), a);
}
