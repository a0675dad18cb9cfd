#include "compress/qdq_weights.h"

#include "passes/constant_fold.h"

namespace sinter {

namespace {

bool is_integer(DType t) {
  return storage_dtype(t) == DType::kInt8 || storage_dtype(t) == DType::kUint8;
}

// The layout ops qdq_export puts between a DequantizeLinear and the layer.
bool is_layout_op(const std::string& op) {
  return op == "Reshape" || op == "Slice" || op == "Transpose";
}

// Two-level vector scales: the integer factor initializer of a Mul that multiplies `value` by
// Cast(factor), or null when `mul` is no such node.
const std::string* two_level_factor(const Graph& g, const Node& mul, const std::string& value) {
  if (mul.op_type != "Mul" || mul.inputs.size() != 2 || mul.inputs[0] != value) return nullptr;
  for (const Node& n : g.nodes)
    if (n.op_type == "Cast" && !n.outputs.empty() && n.outputs[0] == mul.inputs[1]) {
      auto f = g.initializers.find(n.inputs.at(0));
      return f != g.initializers.end() && is_integer(f->second.dtype()) ? &f->first : nullptr;
    }
  return nullptr;
}

// The value a layer reads for `value`: followed through layout nodes (and two-level factors,
// which join `params`) that are its only reader.
std::string through_layout_ops(const Graph& g, std::string value, std::set<std::string>& params) {
  for (;;) {
    const Node* only = nullptr;
    int readers = 0;
    for (const Node& n : g.nodes)
      for (const std::string& in : n.inputs)
        if (in == value) {
          ++readers;
          only = &n;
        }
    if (readers != 1) return value;
    if (const std::string* factor = two_level_factor(g, *only, value)) {
      params.insert(*factor);
    } else if (!is_layout_op(only->op_type) || only->inputs[0] != value) {
      return value;
    }
    value = only->outputs[0];
  }
}

}  // namespace

QdqWeights find_qdq_weights(const Graph& model) {
  QdqWeights found;
  std::vector<std::pair<std::string, std::string>> pairs;  // quantized, value
  for (const Node& n : model.nodes) {
    if (n.op_type != "QuantizeLinear" && n.op_type != "DequantizeLinear") continue;
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (model.is_initializer(n.inputs[i])) found.params.insert(n.inputs[i]);
    if (n.op_type != "DequantizeLinear" || n.inputs.empty() || n.outputs.empty()) continue;
    auto q = model.initializers.find(n.inputs[0]);
    if (q == model.initializers.end() || !is_integer(q->second.dtype())) continue;
    pairs.emplace_back(n.inputs[0], through_layout_ops(model, n.outputs[0], found.params));
  }
  if (pairs.empty()) return found;

  // Folding the constant chains gives each weight as its layer reads it.
  Graph folded = model;
  constant_fold(folded);
  for (auto& [quantized, value] : pairs) {
    auto w = folded.initializers.find(value);
    if (w == folded.initializers.end() || w->second.dtype() != DType::kFloat32) continue;
    found.weights.push_back({quantized, value, w->second});
  }
  return found;
}

}  // namespace sinter
