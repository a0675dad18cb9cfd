#include "passes/unsigned_activations.h"

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sinter {

namespace {

// The int8 scalar constant `v`, if it is one.
const Tensor* int8_scalar(const Graph& g, const std::string& v) {
  auto it = g.initializers.find(v);
  return it != g.initializers.end() && it->second.dtype() == DType::kInt8 && it->second.numel() == 1
             ? &it->second
             : nullptr;
}

bool is_default(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

}  // namespace

int use_unsigned_activations(Graph& g) {
  std::unordered_map<std::string, std::vector<size_t>> readers;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const std::string& in : g.nodes[i].inputs)
      if (!in.empty()) readers[in].push_back(i);
  const std::unordered_set<std::string> graph_output(g.outputs.begin(), g.outputs.end());
  // zp + 128 as a uint8 initializer, one per int8 zero point.
  std::unordered_map<std::string, std::string> unsigned_zero_point;
  auto moved = [&](const std::string& zp) {
    auto it = unsigned_zero_point.find(zp);
    if (it != unsigned_zero_point.end()) return it->second;
    const std::string name = g.unique_name(zp + "_u8");
    g.initializers[name] =
        Tensor::scalar<uint8_t>(static_cast<uint8_t>(int8_scalar(g, zp)->data<int8_t>()[0] + 128))
            .reshaped(g.initializers.at(zp).shape());
    return unsigned_zero_point[zp] = name;
  };
  int count = 0;
  for (Node& q : g.nodes) {
    if (!is_default(q, "QuantizeLinear") || q.inputs.size() != 3 || q.outputs.size() != 1 ||
        !int8_scalar(g, q.inputs[2]) || graph_output.count(q.outputs[0]))
      continue;
    const std::vector<size_t>& uses = readers[q.outputs[0]];
    bool all_dequantize = !uses.empty();
    for (size_t i : uses) {
      const Node& dq = g.nodes[i];
      all_dequantize = all_dequantize && is_default(dq, "DequantizeLinear") &&
                       dq.inputs.size() == 3 && dq.inputs[0] == q.outputs[0] &&
                       int8_scalar(g, dq.inputs[2]);
    }
    if (!all_dequantize) continue;
    q.inputs[2] = moved(q.inputs[2]);
    q.attrs.erase("output_dtype");  // opset 21's name for the type the zero point now gives
    for (size_t i : uses) g.nodes[i].inputs[2] = moved(g.nodes[i].inputs[2]);
    g.types[q.outputs[0]].dtype = DType::kUint8;
    ++count;
  }
  return count;
}

}  // namespace sinter
