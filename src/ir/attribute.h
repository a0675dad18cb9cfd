#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace sinter {

// One node attribute; the alternatives mirror the ONNX attribute kinds sinter supports.
using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

}  // namespace sinter
