#include "beyond/engine/checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/rng.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {
constexpr int64_t kFormatVersion = 1;

std::string step_file_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%08lld.pt", static_cast<long long>(step));
  return name;
}

torch::Tensor bytes_to_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_to_bytes(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), c.numel());
}

/// `previous` is the checkpoint to suggest instead ("" if none).
torch::serialize::InputArchive open_archive(const std::string& path, const std::string& previous = "") {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(str("checkpoint ", path, " cannot be read: it is truncated or damaged (",
                    std::string(e.what_without_backtrace()).substr(0, 160), "). It was left as it is; ",
                    previous.empty() ? std::string("there is no earlier checkpoint to resume from")
                                     : "resume from the previous one with --resume " + previous));
  }
  return archive;
}

void check_shape(const std::map<std::string, std::vector<int64_t>>& expected, const std::string& key,
                 const torch::Tensor& loaded, const std::string& module, const std::string& path) {
  const auto& want = expected.at(key);
  BEYOND_CHECK(loaded.sizes().vec() == want, "checkpoint ", path, " does not match module '", module, "': ", key,
               " has shape ", loaded.sizes(), " in the checkpoint but ", c10::IntArrayRef(want),
               " in the model (was it written with another config?)");
}

void load_modules(torch::serialize::InputArchive& archive,
                  const NamedModules& modules,
                  const std::string& path) {
  for (const auto& [name, module] : modules) {
    torch::serialize::InputArchive sub;
    try {
      archive.read("module." + name, sub);
      // Module::load replaces tensors wholesale, shapes included, so a checkpoint of another
      // architecture would load silently: compare every shape before and after.
      std::map<std::string, std::vector<int64_t>> shapes;
      for (const auto& p : module->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
      for (const auto& b : module->named_buffers()) shapes[b.key()] = b.value().sizes().vec();
      module->load(sub);
      for (const auto& p : module->named_parameters()) check_shape(shapes, p.key(), p.value(), name, path);
      for (const auto& b : module->named_buffers()) check_shape(shapes, b.key(), b.value(), name, path);
    } catch (const c10::Error& e) {
      throw Error(str("checkpoint ", path, " does not match module '", name, "': ",
                      std::string(e.what_without_backtrace()).substr(0, 200),
                      " (was it written with another config?)"));
    }
  }
}
}  // namespace

CheckpointManager::CheckpointManager(std::string run_dir, int64_t keep_last)
    : dir_((fs::path(run_dir) / "checkpoints").string()), keep_last_(std::max<int64_t>(1, keep_last)) {}

void CheckpointManager::write(const TrainingState& state, int64_t step, const std::string& path,
                              std::optional<double> best_value) const {
  fs::create_directories(dir_);
  torch::serialize::OutputArchive archive;
  archive.write("meta.version", torch::tensor(kFormatVersion));
  archive.write("meta.step", torch::tensor(step));
  archive.write("meta.rng", bytes_to_tensor(save_rng_state()));
  if (best_value) archive.write("meta.best_value", torch::tensor(*best_value, torch::kFloat64));
  for (const auto& [name, module] : state.modules) {
    torch::serialize::OutputArchive sub;
    module->save(sub);
    archive.write("module." + name, sub);
  }
  for (const auto& [name, opt] : state.optimizers) {
    torch::serialize::OutputArchive sub;
    opt->save(sub);
    archive.write("optim." + name, sub);
  }
  write_atomic_with(path, [&](const std::string& tmp) { archive.save_to(tmp); });
}

std::string CheckpointManager::save(const TrainingState& state, int64_t step) const {
  const std::string path = (fs::path(dir_) / step_file_name(step)).string();
  write(state, step, path, std::nullopt);
  auto all = list();
  for (size_t i = 0; i + keep_last_ < all.size(); ++i) fs::remove(all[i]);
  return path;
}

std::string CheckpointManager::save_best(const TrainingState& state, int64_t step, double value) const {
  const std::string path = best_path();
  write(state, step, path, value);
  return path;
}

std::string CheckpointManager::best_path() const { return (fs::path(dir_) / "best.pt").string(); }

std::optional<double> CheckpointManager::best_value() const {
  const std::string path = best_path();
  if (!fs::exists(path)) return std::nullopt;
  auto archive = open_archive(path);
  torch::Tensor value;
  try {
    archive.read("meta.best_value", value);
  } catch (const c10::Error&) {
    throw Error(str(path, " has no meta.best_value entry: it is not a best-model checkpoint (remove it to ",
                    "start the selection afresh)"));
  }
  return value.item<double>();
}

int64_t CheckpointManager::load(const TrainingState& state, const std::string& path) const {
  BEYOND_CHECK(fs::exists(path), "checkpoint ", path, " does not exist");
  std::string previous;
  for (const auto& p : list())
    if (fs::path(p).filename() < fs::path(path).filename()) previous = p;
  auto archive = open_archive(path, previous);
  torch::Tensor version, step, rng;
  try {
    archive.read("meta.version", version);
    archive.read("meta.step", step);
    archive.read("meta.rng", rng);
  } catch (const c10::Error&) {
    throw Error(str(path, " is not a beyond training checkpoint (no meta.step entry)"));
  }
  BEYOND_CHECK(version.item<int64_t>() == kFormatVersion, path, " has checkpoint format ", version.item<int64_t>(),
               ", this build reads ", kFormatVersion);
  load_modules(archive, state.modules, path);
  for (const auto& [name, opt] : state.optimizers) {
    torch::serialize::InputArchive sub;
    try {
      archive.read("optim." + name, sub);
      opt->load(sub);
    } catch (const c10::Error& e) {
      throw Error(str("checkpoint ", path, " has no usable optimizer state for '", name, "': ",
                      std::string(e.what_without_backtrace()).substr(0, 200)));
    }
  }
  load_rng_state(tensor_to_bytes(rng));
  return step.item<int64_t>();
}

std::vector<std::string> CheckpointManager::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) == 0 && entry.path().extension() == ".pt") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());  // zero-padded step numbers sort by step
  return out;
}

std::string CheckpointManager::latest() const {
  auto all = list();
  return all.empty() ? "" : all.back();
}

int64_t load_weights(const NamedModules& modules,
                     const std::string& path) {
  BEYOND_CHECK(fs::exists(path), "checkpoint ", path, " does not exist");
  auto archive = open_archive(path);
  torch::Tensor step;
  archive.read("meta.step", step);
  load_modules(archive, modules, path);
  return step.item<int64_t>();
}

}  // namespace beyond
