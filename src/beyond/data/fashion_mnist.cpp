#include "beyond/data/fashion_mnist.h"

#include <filesystem>

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/data/formats/idx.h"

namespace beyond::data {
namespace detail {
namespace {

constexpr const char* kInstallFix = "sudo apt-get install dataset-fashion-mnist";

/// `root/stem.gz` if present, else `root/stem`; throws naming both when neither exists.
std::string find_file(const std::string& root, const std::string& stem) {
  const std::filesystem::path dir(root);
  std::error_code ec;
  const auto gz = dir / (stem + ".gz");
  if (std::filesystem::is_regular_file(gz, ec)) return gz.string();
  const auto plain = dir / stem;
  if (std::filesystem::is_regular_file(plain, ec)) return plain.string();
  throw Error(::beyond::str("Fashion-MNIST file ", gz.string(), " not found (nor ", plain.string(), "); install it with: ",
                  kInstallFix, " (or pass the directory that holds the IDX files)"));
}

torch::Tensor read_with_fix(const std::string& path) {
  try {
    return read_idx(path);
  } catch (const Error& e) {
    throw Error(::beyond::str(e.what(), "; to reinstall: sudo apt-get install --reinstall dataset-fashion-mnist"));
  }
}

}  // namespace
}  // namespace detail

LabelledImages load_fashion_mnist(const std::string& root, const std::string& split, int64_t limit) {
  BEYOND_CHECK(split == "train" || split == "test", "load_fashion_mnist: split must be \"train\" or \"test\", got \"",
               split, "\"");
  BEYOND_CHECK(limit >= 0, "load_fashion_mnist: limit must be >= 0 (0 = all), got ", limit);
  std::error_code ec;
  BEYOND_CHECK(std::filesystem::is_directory(root, ec), "Fashion-MNIST directory ", root,
               " does not exist; install it with: ", detail::kInstallFix,
               " (or pass the directory that holds the IDX files)");

  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string images_path = detail::find_file(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = detail::find_file(root, prefix + "-labels-idx1-ubyte");
  torch::Tensor images = detail::read_with_fix(images_path);
  torch::Tensor labels = detail::read_with_fix(labels_path);

  BEYOND_CHECK(images.scalar_type() == torch::kUInt8 && images.dim() == 3 && images.size(1) == 28 &&
                   images.size(2) == 28,
               images_path, ": expected uint8 images of shape [N, 28, 28], got ", images.scalar_type(), " ",
               images.sizes(), "; is this a Fashion-MNIST image file?");
  BEYOND_CHECK(labels.scalar_type() == torch::kUInt8 && labels.dim() == 1, labels_path,
               ": expected uint8 labels of shape [N], got ", labels.scalar_type(), " ", labels.sizes(),
               "; is this a Fashion-MNIST label file?");
  BEYOND_CHECK(images.size(0) == labels.size(0), "Fashion-MNIST ", split, " split: ", images_path, " holds ",
               images.size(0), " images but ", labels_path, " holds ", labels.size(0),
               " labels; the files do not belong together (reinstall: sudo apt-get install --reinstall "
               "dataset-fashion-mnist)");
  if (labels.numel() > 0) {
    const int64_t max_label = labels.max().item<int64_t>();
    BEYOND_CHECK(max_label < 10, labels_path, ": label ", max_label,
                 " is outside 0..9; the file is damaged (reinstall: sudo apt-get install --reinstall "
                 "dataset-fashion-mnist)");
  }

  if (limit > 0 && limit < images.size(0)) {
    images = images.narrow(0, 0, limit);
    labels = labels.narrow(0, 0, limit);
  }
  LabelledImages out;
  out.images = images.unsqueeze(1).to(torch::kFloat32).div_(255.0f).contiguous();
  out.labels = labels.to(torch::kInt64).contiguous();
  return out;
}

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace beyond::data
