#pragma once
// How ScatterElements and ScatterND combine an update with the element already there: replace
// it (opsets before 16 only replace), or add, multiply (opset 16) or keep the max or min (18).
#include <algorithm>
#include <string>
#include <type_traits>

#include "core/integer_semantics.h"
#include "ops/op_registry.h"

namespace sinter {

enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

// The node's 'reduction' attribute; a value its opset does not define fails naming the node.
inline ScatterReduction scatter_reduction(const Node& node, int64_t opset) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return ScatterReduction::kNone;
  if (opset >= 16 && r == "add") return ScatterReduction::kAdd;
  if (opset >= 16 && r == "mul") return ScatterReduction::kMul;
  if (opset >= 18 && r == "max") return ScatterReduction::kMax;
  if (opset >= 18 && r == "min") return ScatterReduction::kMin;
  throw ModelError(
      cat(node.describe(), ": attribute 'reduction' = '", r, "' is not defined at opset ", opset));
}

// Integer sums and products wrap like the element-wise ops; bool ones act as or/and.
template <class T>
void scatter_combine(ScatterReduction r, T& dst, T update) {
  switch (r) {
    case ScatterReduction::kNone:
      dst = update;
      return;
    case ScatterReduction::kAdd:
      if constexpr (std::is_same_v<T, bool>) {
        dst = dst || update;
      } else if constexpr (std::is_integral_v<T>) {
        dst = wrapping_add(dst, update);
      } else {
        dst = dst + update;
      }
      return;
    case ScatterReduction::kMul:
      if constexpr (std::is_same_v<T, bool>) {
        dst = dst && update;
      } else if constexpr (std::is_integral_v<T>) {
        dst = wrapping_mul(dst, update);
      } else {
        dst = dst * update;
      }
      return;
    case ScatterReduction::kMax:
      dst = std::max(dst, update);
      return;
    case ScatterReduction::kMin:
      dst = std::min(dst, update);
      return;
  }
}

}  // namespace sinter
