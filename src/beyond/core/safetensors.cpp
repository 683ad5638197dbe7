#include "beyond/core/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <set>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond {
namespace {

const std::vector<std::pair<torch::Dtype, std::string>>& dtype_names() {
  static const std::vector<std::pair<torch::Dtype, std::string>> names = {
      {torch::kFloat32, "F32"}, {torch::kFloat64, "F64"}, {torch::kFloat16, "F16"}, {torch::kBFloat16, "BF16"},
      {torch::kInt8, "I8"},     {torch::kInt16, "I16"},   {torch::kInt32, "I32"},   {torch::kInt64, "I64"},
      {torch::kUInt8, "U8"},    {torch::kBool, "BOOL"}};
  return names;
}

std::string dtype_name(torch::Dtype d) {
  for (const auto& [t, n] : dtype_names())
    if (t == d) return n;
  throw Error(beyond::str("safetensors: unsupported dtype ", d));
}

torch::Dtype dtype_from(const std::string& name, const std::string& path) {
  for (const auto& [t, n] : dtype_names())
    if (n == name) return t;
  throw Error(str(path, ": unsupported safetensors dtype '", name, "'"));
}

}  // namespace

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {  // std::map: sorted names, so the same weights give the same bytes
    auto c = t.detach().to(torch::kCPU).contiguous();
    const size_t bytes = c.numel() * c.element_size();
    header[name] = {{"dtype", dtype_name(c.scalar_type())}, {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(c);
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // align the data section to 8 bytes
  std::string out;
  out.reserve(8 + json.size() + offset);
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += json;
  for (const auto& c : contiguous) out.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  write_file_atomic(path, out);
}

namespace {

/// The little-endian u64 at the start of a safetensors file: the length of its JSON header.
uint64_t header_length(const char* first8) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(first8[i])) << (8 * i);
  return n;
}

/// The header JSON and its length (the data section starts at 8 + length) of the safetensors `bytes`.
std::pair<nlohmann::json, uint64_t> parse_header(const std::string& bytes, uint64_t file_size, const std::string& path) {
  BEYOND_CHECK(bytes.size() >= 8, path, ": not a safetensors file (", bytes.size(), " bytes, shorter than its header)");
  const uint64_t n = header_length(bytes.data());
  BEYOND_CHECK(n <= file_size - 8 && n <= bytes.size() - 8, path, ": header length ", n, " exceeds the file size ",
               file_size, " (the file is truncated or not safetensors)");
  try {
    return {nlohmann::json::parse(bytes.substr(8, n)), n};
  } catch (const nlohmann::json::exception& e) {
    throw Error(str(path, ": malformed safetensors header: ", e.what()));
  }
}

}  // namespace

std::map<std::string, std::string> load_safetensors_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BEYOND_CHECK(in.good(), path, ": cannot open the weights file (check the path)");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  std::string head(8, '\0');
  in.read(head.data(), 8);
  head.resize(static_cast<size_t>(in.gcount()));
  if (head.size() == 8) {
    const uint64_t n = header_length(head.data());
    if (n <= file_size - 8) {
      head.resize(8 + n);
      in.read(head.data() + 8, static_cast<std::streamsize>(n));
    }
  }
  const auto header = parse_header(head, file_size, path).first;
  std::map<std::string, std::string> out;
  if (!header.contains("__metadata__")) return out;
  for (const auto& [k, v] : header["__metadata__"].items()) {
    BEYOND_CHECK(v.is_string(), path, ": metadata '", k, "' is not a string (safetensors metadata maps strings to strings)");
    out[k] = v.get<std::string>();
  }
  return out;
}

TensorMap load_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  const auto [header, n] = parse_header(bytes, bytes.size(), path);
  const size_t data_start = 8 + n;
  const size_t data_size = bytes.size() - data_start;
  TensorMap out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& entry = it.value();
    const auto dtype = dtype_from(entry.at("dtype").get<std::string>(), path);
    const auto shape = entry.at("shape").get<std::vector<int64_t>>();
    const auto offsets = entry.at("data_offsets").get<std::vector<size_t>>();
    BEYOND_CHECK(offsets.size() == 2 && offsets[0] <= offsets[1] && offsets[1] <= data_size, path, ": tensor '",
                 it.key(), "' has data offsets outside the file (the file is truncated)");
    auto t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
    BEYOND_CHECK(static_cast<size_t>(t.numel() * t.element_size()) == offsets[1] - offsets[0], path, ": tensor '",
                 it.key(), "' has ", offsets[1] - offsets[0], " bytes for shape ", t.sizes());
    std::memcpy(t.data_ptr(), bytes.data() + data_start + offsets[0], offsets[1] - offsets[0]);
    out[it.key()] = t;
  }
  return out;
}

TensorMap state_dict(const torch::nn::Module& module, const std::string& prefix) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) out[prefix + p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) out[prefix + b.key()] = b.value();
  return out;
}

void load_state_dict(torch::nn::Module& module, const TensorMap& tensors, const std::string& prefix,
                     const std::string& source) {
  torch::NoGradGuard no_grad;
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (auto& p : module.named_parameters(true)) targets.emplace_back(prefix + p.key(), p.value());
  for (auto& b : module.named_buffers(true)) targets.emplace_back(prefix + b.key(), b.value());
  // Every problem is counted before anything is copied: one wrong tensor usually means a wrong model.
  std::string first;
  int64_t missing = 0, misshapen = 0;
  std::set<std::string> expected;
  for (const auto& [name, target] : targets) {
    expected.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      if (first.empty()) first = beyond::str("missing tensor '", name, "' (the model expects shape ", target.sizes(), ")");
      ++missing;
    } else if (it->second.sizes() != target.sizes()) {
      if (first.empty())
        first = beyond::str("tensor '", name, "' has shape ", it->second.sizes(), ", the model expects ", target.sizes());
      ++misshapen;
    }
  }
  int64_t unexpected = 0;
  for (const auto& [name, t] : tensors)
    if (name.rfind(prefix, 0) == 0 && !expected.count(name)) ++unexpected;
  if (!first.empty()) {
    std::string others = beyond::str(missing, " missing, ", misshapen, " with another shape, ", unexpected,
                             " not in the model, of ", targets.size(), " expected");
    throw Error(beyond::str(source, ": ", first, " [", others,
                    "]; were these weights saved from another model or config (architecture, backbone, classes)?"));
  }
  for (auto& [name, target] : targets) target.copy_(tensors.at(name));
}

}  // namespace beyond
