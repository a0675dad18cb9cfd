#include "train/autodiff.h"

#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "ops/gradient.h"
#include "ops/infer_graph.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {

std::string sum_of(Graph& g, const std::vector<std::string>& parts, int& counter) {
  if (parts.size() == 1) return parts[0];
  Node n;
  n.op_type = "Sum";
  n.name = cat("grad/accumulate_", counter++);
  n.inputs = parts;
  n.outputs = {n.name};
  g.nodes.push_back(std::move(n));
  return g.nodes.back().outputs[0];
}

}  // namespace

std::vector<std::string> append_gradients(Graph& g, const std::string& loss,
                                          const std::vector<std::string>& wrt) {
  infer_graph(g);
  const ValueType* lt = g.type_of(loss);
  if (!lt || !lt->has_shape || lt->dtype != DType::kFloat32 || shape_numel(lt->shape) != 1)
    throw InputError(cat("loss '", loss, "' must be a float32 value with one element"));

  // Values that depend on some wrt value: only their gradients are worth computing.
  std::unordered_set<std::string> depends(wrt.begin(), wrt.end());
  for (const std::string& v : wrt) {
    const ValueType* t = g.type_of(v);
    if (!t || t->dtype != DType::kFloat32)
      throw InputError(
          cat("cannot differentiate with respect to '", v, "': not a float32 value of the graph"));
  }
  const size_t forward_nodes = g.nodes.size();
  for (size_t k = 0; k < forward_nodes; ++k) {
    const Node& n = g.nodes[k];
    bool any = false;
    for (const auto& in : n.inputs) any = any || (!in.empty() && depends.count(in));
    if (any)
      for (const auto& out : n.outputs)
        if (!out.empty()) depends.insert(out);
  }

  int counter = 0;
  std::unordered_map<std::string, std::vector<std::string>> contributions;
  contributions[loss].push_back(add_gradient_constant(
      g, Tensor::from_vector<float>(lt->shape, std::vector<float>{1.0f}), counter));
  // Reverse topological order over the forward nodes only (backward nodes are appended).
  for (size_t k = forward_nodes; k-- > 0;) {
    const Node node = g.nodes[k];  // a copy: emitting nodes may reallocate g.nodes
    std::vector<std::string> output_grads;
    bool any = false;
    for (const auto& out : node.outputs) {
      auto it = out.empty() ? contributions.end() : contributions.find(out);
      output_grads.push_back(it == contributions.end() ? "" : sum_of(g, it->second, counter));
      any = any || !output_grads.back().empty();
    }
    if (!any) continue;
    std::vector<bool> wanted;
    bool want_any = false;
    for (const auto& in : node.inputs) {
      wanted.push_back(!in.empty() && depends.count(in));
      want_any = want_any || wanted.back();
    }
    if (!want_any) continue;
    const OpDef& def = op_for(node, g.opset);
    GradientContext ctx(node, g, output_grads, wanted, counter);
    if (!def.gradient) ctx.unsupported(cat("operator ", node.op_type));
    def.gradient(ctx);
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (wanted[i] && !ctx.input_grads()[i].empty())
        contributions[node.inputs[i]].push_back(ctx.input_grads()[i]);
  }

  std::vector<std::string> names;
  for (const std::string& v : wrt) {
    const ValueType& t = *g.type_of(v);
    std::string grad;
    if (auto it = contributions.find(v); it != contributions.end()) {
      grad = sum_of(g, it->second, counter);
    } else {
      grad = add_gradient_constant(g, Tensor(DType::kFloat32, t.shape), counter);  // zeros
    }
    Node id;
    id.op_type = "Identity";
    id.name = v + ".grad";
    id.inputs = {grad};
    id.outputs = {v + ".grad"};
    g.nodes.push_back(std::move(id));
    g.outputs.push_back(v + ".grad");
    names.push_back(v + ".grad");
  }
  infer_graph(g);
  return names;
}

}  // namespace sinter
