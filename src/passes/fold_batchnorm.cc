#include "passes/fold_batchnorm.h"

#include <cmath>

namespace sinter {

namespace {

// Per-channel scale and shift of the BN, or false when it cannot be folded.
bool bn_affine(const Graph& g, const Node& bn, int64_t channels, std::vector<float>& scale,
               std::vector<float>& shift) {
  if (bn.inputs.size() < 5) return false;
  const Tensor* p[4];
  for (int i = 0; i < 4; ++i) {
    p[i] = g.float_initializer(bn.inputs[i + 1]);
    if (!p[i] || p[i]->numel() != channels) return false;
  }
  for (size_t o = 1; o < bn.outputs.size(); ++o)
    if (!bn.outputs[o].empty()) return false;  // training-mode outputs in use
  if (bn.attr_int("training_mode", 0) != 0) return false;
  float eps = bn.attr_float("epsilon", 1e-5f);
  const float *gamma = p[0]->data<float>(), *beta = p[1]->data<float>();
  const float *mean = p[2]->data<float>(), *var = p[3]->data<float>();
  scale.resize(channels);
  shift.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = gamma[c] / std::sqrt(var[c] + eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return true;
}

// Rewrites the producer's weight and bias; `rows_are_channels` says whether channel c owns a
// contiguous block of the weight (Conv, Gemm with transB) or a strided column (Gemm without).
bool fold_into(Graph& g, Node& producer, const Node& bn) {
  bool is_conv = producer.op_type == "Conv";
  bool is_gemm = producer.op_type == "Gemm" && producer.attr_float("alpha", 1.0f) == 1.0f &&
                 producer.attr_float("beta", 1.0f) == 1.0f && producer.attr_int("transA", 0) == 0;
  if (!producer.domain.empty() || (!is_conv && !is_gemm) || producer.inputs.size() < 2)
    return false;
  const Tensor* w = g.float_initializer(producer.inputs[1]);
  if (!w || w->rank() < 2) return false;
  bool trans_b = is_gemm && producer.attr_int("transB", 0) != 0;
  int64_t channels = is_conv || trans_b ? w->dim(0) : w->dim(1);
  std::vector<float> scale, shift;
  if (!bn_affine(g, bn, channels, scale, shift)) return false;
  const Tensor* b = producer.has_input(2) ? g.float_initializer(producer.inputs[2]) : nullptr;
  if (producer.has_input(2) && (!b || b->numel() != channels)) return false;

  Tensor new_w = w->clone();
  float* wd = new_w.data<float>();
  int64_t per_row = new_w.numel() / new_w.dim(0);
  for (int64_t i = 0; i < new_w.numel(); ++i) {
    int64_t c = (is_conv || trans_b) ? i / per_row : i % per_row;
    wd[i] *= scale[c];
  }
  Tensor new_b(DType::kFloat32, {channels});
  float* bd = new_b.data<float>();
  for (int64_t c = 0; c < channels; ++c)
    bd[c] = (b ? b->data<float>()[c] : 0.0f) * scale[c] + shift[c];

  std::string w_name = g.unique_name(producer.inputs[1] + "_bnfolded");
  g.initializers[w_name] = new_w;
  std::string b_name = g.unique_name(w_name + "_bias");
  g.initializers[b_name] = new_b;
  producer.inputs.resize(std::max<size_t>(producer.inputs.size(), 3));
  producer.inputs[1] = w_name;
  producer.inputs[2] = b_name;
  producer.outputs[0] = bn.outputs[0];
  return true;
}

}  // namespace

int fold_batchnorm(Graph& g) {
  auto uses = g.use_counts();
  auto producers = g.producers();
  std::vector<bool> drop(g.nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& bn = g.nodes[i];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.empty()) continue;
    auto p = producers.find(bn.inputs[0]);
    if (p == producers.end() || uses[bn.inputs[0]] != 1) continue;
    bool is_output = false;
    for (const auto& o : g.outputs) is_output = is_output || o == bn.inputs[0];
    if (is_output || !fold_into(g, g.nodes[p->second], bn)) continue;
    drop[i] = true;
    ++folded;
  }
  g.remove_nodes(drop);
  return folded;
}

}  // namespace sinter
