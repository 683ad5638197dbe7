#pragma once
/// Datasets that hand out whole batches by index. A Dataset is read-only after construction, so a
/// DataLoader may call get_batch() from its background thread while the model trains.
///
///   auto ds = std::make_shared<beyond::data::TensorDataset>(images, labels);
///   beyond::data::Batch b = ds->get_batch({0, 5, 7});   // b.data: [3, ...], b.target: [3]
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "beyond/core/error.h"

namespace beyond::data {

/// A batch of inputs and (optionally) targets; `target` is undefined for unlabelled data.
struct Batch {
  torch::Tensor data;
  torch::Tensor target;
};

/// A finite, indexable collection of examples.
///
/// Contract: size() is constant; get_batch(indices) returns the examples at `indices` (each in
/// [0, size())) stacked along dimension 0, in the given order, and must be safe to call concurrently
/// with other const calls (it is called from a DataLoader's prefetch thread).
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Batch get_batch(const std::vector<int64_t>& indices) const = 0;
};

/// A dataset over in-memory tensors whose first dimension indexes the examples.
///
///   TensorDataset ds(fashion.images, fashion.labels);     // or TensorDataset(images) without targets
class TensorDataset : public Dataset {
 public:
  explicit TensorDataset(torch::Tensor data, torch::Tensor target = {})
      : data_(std::move(data)), target_(std::move(target)) {
    BEYOND_CHECK(data_.defined() && data_.dim() >= 1,
                 "TensorDataset: data must be a tensor with at least one dimension (examples along dim 0)");
    BEYOND_CHECK(!target_.defined() || (target_.dim() >= 1 && target_.size(0) == data_.size(0)),
                 "TensorDataset: data holds ", data_.size(0), " examples (shape ", data_.sizes(),
                 ") but target has shape ", target_.defined() ? target_.sizes() : torch::IntArrayRef{},
                 "; their first dimensions must match");
  }

  int64_t size() const override { return data_.size(0); }

  Batch get_batch(const std::vector<int64_t>& indices) const override {
    for (int64_t i : indices) {
      BEYOND_CHECK(i >= 0 && i < size(), "TensorDataset::get_batch: index ", i, " is outside [0, ", size(), ")");
    }
    const torch::Tensor idx =
        torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())},
                         torch::TensorOptions().dtype(torch::kInt64))
            .to(data_.device());
    Batch b;
    b.data = data_.index_select(0, idx);
    if (target_.defined()) b.target = target_.index_select(0, idx.to(target_.device()));
    return b;
  }

  const torch::Tensor& data() const { return data_; }
  const torch::Tensor& target() const { return target_; }

 private:
  torch::Tensor data_;
  torch::Tensor target_;
};

}  // namespace beyond::data
