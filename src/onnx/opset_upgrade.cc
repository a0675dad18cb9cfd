#include "onnx/opset_upgrade.h"

#include <set>

#include "core/error.h"

namespace sinter {

namespace {

// The reductions whose axes moved from an attribute to an input at opset 18 (ReduceSum moved
// at 13).
bool axes_moved_at_18(const Node& n) {
  static const std::set<std::string> reductions = {
      "ReduceL1",   "ReduceL2",  "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
      "ReduceMean", "ReduceMin", "ReduceProd",   "ReduceSumSquare"};
  return n.domain.empty() && reductions.count(n.op_type) > 0;
}

}  // namespace

void upgrade_opset(Graph& g, int64_t to) {
  if (g.opset < 13 || to < g.opset || to > 21)
    throw InputError(cat("cannot move a graph from opset ", g.opset, " to ", to,
                         " (sinter moves opset 13 or later up to 21)"));
  if (g.opset < 18 && to >= 18) {
    std::vector<Node> nodes = std::move(g.nodes);
    g.nodes.clear();
    for (Node& n : nodes) {
      if (axes_moved_at_18(n) && n.has_attr("axes")) {
        const std::vector<int64_t> axes = n.attr_ints("axes");
        const std::string name = g.unique_name(n.name + "_axes");
        g.initializers.emplace(
            name, Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
        g.types[name] = {DType::kInt64, {static_cast<int64_t>(axes.size())}, true};
        n.inputs.resize(1);
        n.inputs.push_back(name);
        n.attrs.erase("axes");
      } else if (n.domain.empty() && n.op_type == "Split" && !n.has_input(1)) {
        // Equal parts, which opset 18 states as num_outputs (its parts are equal whenever the
        // outputs divide the axis, the only case the old form allowed).
        n.attrs["num_outputs"] = static_cast<int64_t>(n.outputs.size());
      }
      g.nodes.push_back(std::move(n));
    }
  }
  g.opset = to;
}

}  // namespace sinter
