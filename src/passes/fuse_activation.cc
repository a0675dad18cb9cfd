#include "passes/fuse_activation.h"

#include <limits>
#include <unordered_set>

namespace sinter {

namespace {

struct Fusion {
  std::vector<Node>& nodes;
  std::unordered_map<std::string, int> uses;
  std::unordered_set<std::string> graph_outputs;
  std::vector<bool> drop;

  // The single consumer of `value`, if it has exactly one and the value is not a graph output.
  int sole_consumer(const std::string& value, size_t after) {
    if (uses[value] != 1 || graph_outputs.count(value)) return -1;
    for (size_t j = after + 1; j < nodes.size(); ++j)
      if (!drop[j])
        for (const auto& in : nodes[j].inputs)
          if (in == value) return static_cast<int>(j);
    return -1;
  }
};

// Translates an activation node into FusedConv/FusedGemm attributes; false if not fusable.
bool activation_attrs(const Graph& g, const Node& act, std::map<std::string, Attribute>& attrs) {
  if (!act.domain.empty()) return false;
  const std::string& t = act.op_type;
  float alpha = 0.0f, beta = 0.0f;
  if (t == "Relu" || t == "Sigmoid" || t == "HardSwish") {
  } else if (t == "LeakyRelu") {
    alpha = act.attr_float("alpha", 0.01f);
  } else if (t == "HardSigmoid") {
    alpha = act.attr_float("alpha", 0.2f);
    beta = act.attr_float("beta", 0.5f);
  } else if (t == "Clip") {
    alpha = act.attr_float("min", std::numeric_limits<float>::lowest());
    beta = act.attr_float("max", std::numeric_limits<float>::max());
    for (size_t i = 1; i < 3 && i < act.inputs.size(); ++i) {
      if (act.inputs[i].empty()) continue;
      auto it = g.initializers.find(act.inputs[i]);
      if (it == g.initializers.end() || it->second.numel() != 1 ||
          it->second.dtype() != DType::kFloat32)
        return false;
      (i == 1 ? alpha : beta) = it->second.data<float>()[0];
    }
  } else {
    return false;
  }
  attrs["activation"] = t;
  attrs["activation_alpha"] = alpha;
  attrs["activation_beta"] = beta;
  return true;
}

bool same_static_shape(const Graph& g, const std::string& a, const std::string& b) {
  const ValueType *ta = g.type_of(a), *tb = g.type_of(b);
  return ta && tb && ta->has_shape && tb->has_shape && shape_is_static(ta->shape) &&
         ta->shape == tb->shape && ta->dtype == tb->dtype;
}

}  // namespace

int fuse_activation(Graph& g) {
  Fusion f{g.nodes, g.use_counts(), {g.outputs.begin(), g.outputs.end()},
           std::vector<bool>(g.nodes.size(), false)};
  int absorbed = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& head = g.nodes[i];
    bool is_conv = head.op_type == "Conv" && head.domain.empty();
    bool is_gemm = head.op_type == "Gemm" && head.domain.empty();
    if (f.drop[i] || (!is_conv && !is_gemm)) continue;
    Node fused = head;
    fused.domain = "sinter";
    fused.op_type = is_conv ? "FusedConv" : "FusedGemm";
    size_t last = i;
    bool changed = false;
    // Residual: Conv -> Add(conv_out, other) with both of one shape.
    int c = f.sole_consumer(fused.outputs[0], last);
    if (is_conv && c >= 0 && g.nodes[c].op_type == "Add" && g.nodes[c].domain.empty() &&
        g.nodes[c].inputs.size() == 2) {
      const Node& add = g.nodes[c];
      const std::string& other = add.inputs[0] == fused.outputs[0] ? add.inputs[1] : add.inputs[0];
      if (other != fused.outputs[0] && same_static_shape(g, other, fused.outputs[0])) {
        fused.inputs.resize(3);
        fused.inputs.push_back(other);
        fused.outputs = add.outputs;
        f.drop[c] = true;
        last = c;
        changed = true;
        c = f.sole_consumer(fused.outputs[0], last);
      }
    }
    if (c >= 0 && activation_attrs(g, g.nodes[c], fused.attrs)) {
      fused.outputs = {g.nodes[c].outputs[0]};
      f.drop[c] = true;
      last = c;
      changed = true;
    }
    if (!changed) continue;
    absorbed += 1;
    // The fused node sits where the chain ended, after everything the residual needs.
    f.drop[i] = true;
    g.nodes[last] = std::move(fused);
    f.drop[last] = false;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!f.drop[i]) kept.push_back(std::move(g.nodes[i]));
  absorbed = static_cast<int>(g.nodes.size() - kept.size());
  g.nodes = std::move(kept);
  return absorbed;
}

}  // namespace sinter
