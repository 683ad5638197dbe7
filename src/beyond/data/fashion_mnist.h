#pragma once
/// Fashion-MNIST (Zalando): 70,000 grey 28x28 images of clothing in 10 classes, read from the IDX files
/// installed by the Debian package `dataset-fashion-mnist`.
///
///   auto train = beyond::data::load_fashion_mnist(beyond::data::kFashionMnistDir, "train");
///   // train.images: float32 [60000, 1, 28, 28] in [0, 1]; train.labels: int64 [60000] in 0..9
///   auto few = beyond::data::load_fashion_mnist(beyond::data::kFashionMnistDir, "test", /*limit=*/256);
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace beyond::data {

/// Where `sudo apt-get install dataset-fashion-mnist` puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Images with one class label each.
struct LabelledImages {
  torch::Tensor images;  ///< float32 [N, 1, 28, 28] in [0, 1]
  torch::Tensor labels;  ///< int64 [N]
};

/// Loads a split ("train": 60,000 items, "test": 10,000) from `root`, which holds
/// {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (uncompressed files without .gz are accepted too).
/// `limit` > 0 keeps the first `limit` items. Throws beyond::Error naming the missing path or the damaged
/// file and the fix (`sudo apt-get install dataset-fashion-mnist`).
LabelledImages load_fashion_mnist(const std::string& root, const std::string& split, int64_t limit = 0);

/// The 10 class names, indexed by label: "T-shirt/top", "Trouser", ..., "Ankle boot".
const std::vector<std::string>& class_names();

}  // namespace beyond::data
