#include "passes/fuse_pad_into_pool.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace sinter {

namespace {

// The Pad's spatial pads in pooling order (begins, then ends) when it adds zeros to the spatial
// dims of a 3-D or 4-D tensor and nothing else.
std::optional<std::vector<int64_t>> spatial_zero_pads(const Graph& g, const Node& pad) {
  if (pad.op_type != "Pad" || !pad.domain.empty() || pad.inputs.empty() || pad.has_input(3) ||
      pad.attr_string("mode", "constant") != "constant")
    return std::nullopt;
  const ValueType* x = g.type_of(pad.inputs[0]);
  if (!x || !x->has_shape || (x->shape.size() != 3 && x->shape.size() != 4) ||
      x->dtype != DType::kFloat32)
    return std::nullopt;
  std::vector<int64_t> pads;
  float value = 0;
  if (g.opset < 11) {
    pads = pad.attr_ints("pads");
    value = pad.attr_float("value", 0.0f);
  } else {
    auto p = pad.has_input(1) ? g.initializers.find(pad.inputs[1]) : g.initializers.end();
    if (p == g.initializers.end() || p->second.dtype() != DType::kInt64) return std::nullopt;
    pads = p->second.to_int64_vector();
    if (pad.has_input(2)) {
      const Tensor* v = g.float_initializer(pad.inputs[2]);
      if (!v || v->numel() != 1) return std::nullopt;
      value = v->data<float>()[0];
    }
  }
  const size_t rank = x->shape.size();
  if (value != 0.0f || pads.size() != 2 * rank || pads[0] || pads[1] || pads[rank] ||
      pads[rank + 1] || std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
    return std::nullopt;
  std::vector<int64_t> spatial(pads.begin() + 2, pads.begin() + rank);
  spatial.insert(spatial.end(), pads.begin() + rank + 2, pads.end());
  return spatial;
}

// An AveragePool with no padding of its own, whose windows are wider than the pads (pools refuse
// a pad as wide as the window).
bool takes_pads(const Node& pool, const std::vector<int64_t>& pads) {
  if (pool.op_type != "AveragePool" || !pool.domain.empty() || pool.inputs.size() != 1 ||
      pool.attr_string("auto_pad", "NOTSET") != "NOTSET" || pool.attr_int("ceil_mode", 0) != 0 ||
      !pool.has_attr("kernel_shape"))
    return false;
  const auto own = pool.attr_ints("pads");
  if (std::any_of(own.begin(), own.end(), [](int64_t p) { return p != 0; })) return false;
  const auto kernel = pool.attr_ints("kernel_shape");
  const auto dilations = pool.attr_ints("dilations", std::vector<int64_t>(kernel.size(), 1));
  if (pads.size() != 2 * kernel.size() || dilations.size() != kernel.size()) return false;
  for (size_t d = 0; d < kernel.size(); ++d)
    if (std::max(pads[d], pads[d + kernel.size()]) >= (kernel[d] - 1) * dilations[d] + 1)
      return false;
  return true;
}

}  // namespace

int fuse_pad_into_pool(Graph& g) {
  const auto uses = g.use_counts();
  const std::unordered_set<std::string> outputs(g.outputs.begin(), g.outputs.end());
  std::unordered_map<std::string, size_t> reader;
  for (size_t j = 0; j < g.nodes.size(); ++j)
    for (const auto& in : g.nodes[j].inputs) reader[in] = j;
  std::vector<bool> drop(g.nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& pad = g.nodes[i];
    const auto pads = spatial_zero_pads(g, pad);
    if (!pads || pad.outputs.size() != 1 || outputs.count(pad.outputs[0])) continue;
    auto u = uses.find(pad.outputs[0]);
    if (u == uses.end() || u->second != 1) continue;
    Node& pool = g.nodes[reader.at(pad.outputs[0])];
    if (!takes_pads(pool, *pads)) continue;
    pool.inputs[0] = pad.inputs[0];
    pool.attrs["pads"] = *pads;
    pool.attrs["count_include_pad"] = int64_t{1};
    drop[i] = true;
    ++folded;
  }
  g.remove_nodes(drop);
  return folded;
}

}  // namespace sinter
