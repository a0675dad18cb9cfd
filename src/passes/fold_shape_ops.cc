#include "passes/fold_shape_ops.h"

#include "ops/infer_graph.h"

namespace sinter {

int fold_shape_ops(Graph& g) {
  int folded = 0;
  std::vector<Node> kept;
  for (Node& node : g.nodes) {
    const ValueType* t = node.inputs.empty() ? nullptr : g.type_of(node.inputs[0]);
    bool is_shape_op = node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    bool is_output = false;
    for (const auto& o : g.outputs) is_output = is_output || o == node.outputs[0];
    if (!is_shape_op || is_output || !t || !t->has_shape || !shape_is_static(t->shape)) {
      kept.push_back(std::move(node));
      continue;
    }
    // Only the shape of the input matters, so evaluate on an empty stand-in of that shape.
    Tensor stand_in = Tensor::view(t->dtype, t->shape, nullptr);
    Tensor value = evaluate_node(node, g.opset, {&stand_in})[0];
    g.initializers[node.outputs[0]] = value.clone();
    g.types[node.outputs[0]] = {value.dtype(), value.shape(), true};
    ++folded;
  }
  g.nodes = std::move(kept);
  return folded;
}

}  // namespace sinter
