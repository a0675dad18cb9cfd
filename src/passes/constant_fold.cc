#include "passes/constant_fold.h"

#include "ops/infer_graph.h"

namespace sinter {

namespace {
bool is_graph_output(const Graph& g, const std::string& v) {
  for (const auto& o : g.outputs)
    if (o == v) return true;
  return false;
}
}  // namespace

int constant_fold(Graph& g) {
  int folded = 0;
  std::vector<Node> kept;
  for (Node& node : g.nodes) {
    bool foldable = !node.outputs.empty();
    for (const auto& in : node.inputs) foldable = foldable && (in.empty() || g.is_initializer(in));
    // A graph output stays computed by a node so that the graph keeps its interface.
    for (const auto& out : node.outputs) foldable = foldable && !is_graph_output(g, out);
    if (!foldable) {
      kept.push_back(std::move(node));
      continue;
    }
    std::vector<const Tensor*> inputs;
    for (const auto& in : node.inputs) inputs.push_back(in.empty() ? nullptr : &g.initializers[in]);
    std::vector<Tensor> values = evaluate_node(node, g.opset, inputs);
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      // Views share their input's buffer; an initializer must own its bytes.
      g.initializers[node.outputs[i]] = values[i].clone();
      g.types[node.outputs[i]] = {values[i].dtype(), values[i].shape(), true};
    }
    ++folded;
  }
  g.nodes = std::move(kept);
  return folded;
}

}  // namespace sinter
