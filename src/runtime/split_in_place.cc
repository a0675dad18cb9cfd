#include "runtime/split_in_place.h"

#include <algorithm>
#include <unordered_set>

namespace sinter {

std::unordered_map<std::string, SplitPart> plan_split_in_place(const Graph& g,
                                                               const ConcatInPlace& concat) {
  const std::unordered_set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());
  std::unordered_map<std::string, SplitPart> parts;
  for (const Node& node : g.nodes) {
    if (node.op_type != "Split" || !node.domain.empty() || !node.has_input(0)) continue;
    const ValueType* x = g.type_of(node.inputs[0]);
    if (!x || !x->has_shape || !shape_is_static(x->shape) || x->shape.empty()) continue;
    const int64_t rank = static_cast<int64_t>(x->shape.size());
    int64_t axis = node.attr_int("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank ||
        !std::all_of(x->shape.begin(), x->shape.begin() + axis, [](int64_t d) { return d == 1; }))
      continue;
    size_t offset = 0;
    for (const auto& out : node.outputs) {
      const ValueType* y = out.empty() ? nullptr : g.type_of(out);
      if (!y || !y->has_shape || !shape_is_static(y->shape)) break;
      if (!graph_outputs.count(out) && !concat.parts.count(out))
        parts[out] = {node.inputs[0], offset};
      offset += static_cast<size_t>(shape_numel(y->shape)) * dtype_size(y->dtype);
    }
  }
  return parts;
}

}  // namespace sinter
