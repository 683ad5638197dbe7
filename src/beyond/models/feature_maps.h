#pragma once
/// The one currency between a detector's parts: named feature maps of a batch, finest first, each
/// [N, C, H, W] (torchvision's OrderedDict[str, Tensor]: "0", "1", ..., "pool" for an FPN, "0" for a
/// single map). Insertion order matters (the RPN reads the levels in order), hence OrderedDict rather
/// than std::map.
#include <torch/ordered_dict.h>
#include <torch/types.h>

#include <string>

namespace beyond::models {

using FeatureMaps = torch::OrderedDict<std::string, torch::Tensor>;

}  // namespace beyond::models
