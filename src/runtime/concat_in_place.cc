#include "runtime/concat_in_place.h"

#include <algorithm>

#include "ops/op_registry.h"

namespace sinter {

namespace {

int64_t normalized_axis(const Node& concat, size_t rank) {
  int64_t axis = concat.attr_int("axis", 1);
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

}  // namespace

ConcatInPlace plan_concat_in_place(const Graph& g) {
  // Values a kernel writes into a buffer of their own: the only ones that can be placed elsewhere.
  std::unordered_set<std::string> kernel_made;
  for (const Node& node : g.nodes) {
    const OpDef& def = op_for(node, g.opset);
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty() && !(def.output_is_view_of_input0 && i == 0))
        kernel_made.insert(node.outputs[i]);
  }
  for (const auto& out : g.outputs) kernel_made.erase(out);

  ConcatInPlace result;
  for (const Node& node : g.nodes) {
    if (node.op_type != "Concat" || !node.domain.empty() || node.inputs.empty()) continue;
    const ValueType* out = g.type_of(node.outputs[0]);
    if (!out || !out->has_shape || !shape_is_static(out->shape)) continue;
    const int64_t axis = normalized_axis(node, out->shape.size());
    if (axis < 0 || axis >= static_cast<int64_t>(out->shape.size())) continue;
    const bool contiguous_parts = std::all_of(out->shape.begin(), out->shape.begin() + axis,
                                              [](int64_t d) { return d == 1; });
    std::unordered_set<std::string> seen;
    bool eligible = contiguous_parts;
    for (const auto& in : node.inputs)
      eligible = eligible && !in.empty() && kernel_made.count(in) && !result.parts.count(in) &&
                 seen.insert(in).second;
    if (!eligible) continue;
    size_t offset = 0;
    for (const auto& in : node.inputs) {
      const ValueType& t = *g.type_of(in);
      result.parts[in] = {node.outputs[0], offset};
      offset += shape_numel(t.shape) * dtype_size(t.dtype);
    }
    result.concat_outputs.insert(node.outputs[0]);
  }
  return result;
}

}  // namespace sinter
