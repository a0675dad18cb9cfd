#pragma once
// Tensors by name: the state checkpoints hold (an optimizer's, a compressor's).
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace sinter {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

}  // namespace sinter
