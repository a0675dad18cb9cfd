#include "passes/fuse_conv_max_pool.h"

#include <unordered_map>
#include <unordered_set>

#include "kernels/conv/conv2d_direct_max_pool.h"
#include "kernels/sparse/sparse_kernel_choice.h"
#include "ops/conv_common.h"
#include "ops/conv_max_pool.h"
#include "ops/pool_params.h"

namespace sinter {

namespace {

bool is_conv(const Node& n) {
  return (n.op_type == "Conv" && n.domain.empty()) ||
         (n.op_type == "FusedConv" && n.domain == "sinter" && n.inputs.size() <= 3);
}

bool is_plain_max_pool(const Node& n) {
  if (n.op_type != "MaxPool" || !n.domain.empty()) return false;
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;  // Indices
  for (int64_t d : n.attr_ints("dilations"))
    if (d != 1) return false;
  return true;
}

const Shape* static_shape(const Graph& g, const std::string& value) {
  const ValueType* t = g.type_of(value);
  return t && t->has_shape && shape_is_static(t->shape) ? &t->shape : nullptr;
}

// The fused node, if the fused kernel runs this pair.
bool fuse(const Graph& g, const Node& conv, const Node& pool, bool sparse_kernels, Node& fused) {
  const Shape* x = static_shape(g, conv.inputs[0]);
  const Shape* w = conv.inputs.size() > 1 ? static_shape(g, conv.inputs[1]) : nullptr;
  if (!x || !w || x->size() != 4 || w->size() != 4 || !g.initializers.count(conv.inputs[1]) ||
      (conv.has_input(2) && !g.initializers.count(conv.inputs[2])))
    return false;
  fused = conv_part(conv);  // without pool_* attributes a file's FusedConv may carry
  fused.op_type = "ConvMaxPool";
  fused.outputs = {pool.outputs[0]};
  for (const auto& [key, value] : pool.attrs) fused.attrs[kPoolAttributePrefix + key] = value;
  const Conv2dShape s = conv_shape(fused, *x, *w);
  const kernels::Pool2dParams p = pool_params(pool_part(fused), {s.N, s.M, s.OH(), s.OW()});
  // Only where the convolution alone would run on the direct kernel too (not a 1x1 GEMM, nor a
  // pruned stem's sparse kernel, which skips more work than the fusion saves).
  const float* weights = g.initializers.at(conv.inputs[1]).data<float>();
  if (sparse_kernels && (pattern_conv2d_pays(s, weights) || csr_conv2d_pays(s, weights)))
    return false;
  return Conv2d::choose(s) == Conv2d::Algorithm::kDirect && Conv2dDirectMaxPool::supports(s, p);
}

}  // namespace

int fuse_conv_max_pool(Graph& g, bool sparse_kernels) {
  const auto uses = g.use_counts();
  const std::unordered_set<std::string> outputs(g.outputs.begin(), g.outputs.end());
  std::unordered_map<std::string, size_t> consumer;
  for (size_t j = 0; j < g.nodes.size(); ++j)
    for (const auto& in : g.nodes[j].inputs) consumer[in] = j;
  std::vector<bool> drop(g.nodes.size(), false);
  int absorbed = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& conv = g.nodes[i];
    if (!is_conv(conv) || conv.outputs.empty()) continue;
    const std::string& out = conv.outputs[0];
    auto u = uses.find(out);
    if (u == uses.end() || u->second != 1 || outputs.count(out)) continue;
    const size_t j = consumer.at(out);
    Node fused;
    if (!is_plain_max_pool(g.nodes[j]) || g.nodes[j].inputs[0] != out ||
        !fuse(g, conv, g.nodes[j], sparse_kernels, fused))
      continue;
    // The fused node takes the pool's place, after everything the convolution reads.
    g.nodes[j] = std::move(fused);
    drop[i] = true;
    ++absorbed;
  }
  g.remove_nodes(drop);
  return absorbed;
}

}  // namespace sinter
