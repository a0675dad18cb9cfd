#include "compress/quant_targets.h"

#include <algorithm>
#include <array>

namespace sinter {

namespace {
const Tensor* float_initializer(const Graph& g, const std::string& name) {
  auto it = g.initializers.find(name);
  return it == g.initializers.end() || it->second.dtype() != DType::kFloat32 ? nullptr
                                                                             : &it->second;
}
}  // namespace

std::vector<QuantTarget> find_quant_targets(const Graph& g) {
  std::vector<QuantTarget> targets;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty() || !n.has_input(0) || !n.has_input(1) || g.is_initializer(n.inputs[0]))
      continue;
    const Tensor* w = float_initializer(g, n.inputs[1]);
    if (!w) continue;
    QuantTarget t{i, n.inputs[1], n.inputs[0], 0};
    if (n.op_type == "Conv" && w->rank() == 4) {
      t.channel_axis = 0;
    } else if (n.op_type == "Gemm" && w->rank() == 2 && n.attr_int("transA", 0) == 0) {
      t.channel_axis = n.attr_int("transB", 0) != 0 ? 0 : 1;
    } else if (n.op_type == "MatMul" && w->rank() == 2) {
      t.channel_axis = 1;
    } else {
      continue;
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

const Node* find_quantized_node(const Graph& g) {
  static constexpr std::array<const char*, 7> kQuantizedOps = {
      "QuantizeLinear", "DequantizeLinear", "QLinearConv",          "QLinearMatMul",
      "ConvInteger",    "MatMulInteger",    "DynamicQuantizeLinear"};
  for (const Node& n : g.nodes)
    if (std::find(kQuantizedOps.begin(), kQuantizedOps.end(), n.op_type) != kQuantizedOps.end())
      return &n;
  return nullptr;
}

}  // namespace sinter
