#pragma once
/// Model weights as safetensors: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to {dtype, shape, data_offsets}, then the raw little-endian tensor bytes. Python reads
/// them with `safetensors.torch.load_file` (or a few lines of numpy), so weights move both ways.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>

namespace beyond {

using TensorMap = std::map<std::string, torch::Tensor>;

/// Writes `tensors` (any CPU dtype among float32/64, float16, bfloat16, int8/16/32/64, uint8, bool) atomically.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});
/// Reads every tensor; beyond::Error naming the file and what is wrong for malformed input.
TensorMap load_safetensors(const std::string& path);
/// The header's "__metadata__" (string to string; empty when the file has none), reading the header only.
std::map<std::string, std::string> load_safetensors_metadata(const std::string& path);

/// Parameters and buffers by their dotted names ("fc1.weight"), as in a PyTorch state_dict.
TensorMap state_dict(const torch::nn::Module& module, const std::string& prefix = "");
/// Copies `tensors` into `module`; every parameter/buffer must be present with the same shape. Otherwise
/// nothing is copied and the error names the first missing or misshapen tensor (in the module's order)
/// with both shapes, and counts the other problems, tensors of the file under `prefix` that the module
/// lacks included, so that weights of another architecture are recognised as such.
void load_state_dict(torch::nn::Module& module, const TensorMap& tensors, const std::string& prefix = "",
                     const std::string& source = "weights");

}  // namespace beyond
