#include "passes/remove_zero_filters.h"

#include <vector>

#include "ops/fused_activation.h"

namespace sinter {

namespace {

bool is_conv(const Node& n) {
  return (n.op_type == "Conv" && n.domain.empty()) ||
         (n.op_type == "FusedConv" && n.domain == "sinter");
}

// Ops whose output channel c depends only on input channel c and is zero when it is zero.
bool keeps_zero_channels(const Node& n) {
  static const char* ops[] = {"Relu", "MaxPool", "AveragePool", "GlobalAveragePool",
                              "GlobalMaxPool"};
  if (!n.domain.empty()) return false;
  for (const char* op : ops)
    if (n.op_type == op) return n.outputs.size() == 1 || n.outputs[1].empty();
  return false;
}

// Where the channels of one layer's output are read.
struct Readers {
  std::vector<size_t> passes;                     // channel-wise ops on the way
  std::vector<size_t> convs;                      // read the channels as input channels
  std::vector<std::pair<size_t, int64_t>> gemms;  // read them flattened: (node, block)
};

struct Uses {
  std::unordered_map<std::string, std::vector<std::pair<size_t, size_t>>> by_value;  // node, input
  std::unordered_map<std::string, bool> is_output;
};

Uses find_uses(const Graph& g) {
  Uses u;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (size_t k = 0; k < g.nodes[i].inputs.size(); ++k)
      if (!g.nodes[i].inputs[k].empty()) u.by_value[g.nodes[i].inputs[k]].push_back({i, k});
  for (const auto& o : g.outputs) u.is_output[o] = true;
  return u;
}

bool collect_gemms(const Graph& g, const Uses& uses, const std::string& flat, int64_t block,
                   Readers& r) {
  if (uses.is_output.count(flat)) return false;
  auto it = uses.by_value.find(flat);
  if (it == uses.by_value.end()) return true;
  for (auto [node, input] : it->second) {
    const Node& n = g.nodes[node];
    if (n.op_type != "Gemm" || !n.domain.empty() || input != 0 || n.attr_int("transA", 0) != 0 ||
        n.inputs.size() < 2 || !g.float_initializer(n.inputs[1]))
      return false;
    r.gemms.push_back({node, block});
  }
  return true;
}

// Follows `value` to every reader; false when one of them cannot drop channels.
bool collect_readers(const Graph& g, const Uses& uses, const std::string& value, Readers& r) {
  if (uses.is_output.count(value)) return false;
  auto it = uses.by_value.find(value);
  if (it == uses.by_value.end()) return true;
  for (auto [node, input] : it->second) {
    const Node& n = g.nodes[node];
    if (input != 0) return false;
    if (keeps_zero_channels(n)) {
      r.passes.push_back(node);
      if (!collect_readers(g, uses, n.outputs[0], r)) return false;
    } else if (is_conv(n)) {
      if (n.attr_int("group", 1) != 1 || n.inputs.size() < 2 || !g.float_initializer(n.inputs[1]))
        return false;
      r.convs.push_back(node);
    } else if (n.op_type == "Flatten" && n.domain.empty() && n.attr_int("axis", 1) == 1) {
      const ValueType* t = g.type_of(value);
      if (!t || !t->has_shape || t->shape.size() < 2 || !shape_is_static(t->shape)) return false;
      int64_t block = 1;
      for (size_t d = 2; d < t->shape.size(); ++d) block *= t->shape[d];
      if (!collect_gemms(g, uses, n.outputs[0], block, r)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Output channels of `conv` that are zero whatever its input.
std::vector<bool> zero_channels(const Graph& g, const Node& conv) {
  const Tensor* w = g.float_initializer(conv.inputs[1]);
  const Tensor* b = conv.has_input(2) ? g.float_initializer(conv.inputs[2]) : nullptr;
  if (!w || w->rank() < 3 || (conv.has_input(2) && !b) || (conv.has_input(3))) return {};
  if (conv.domain == "sinter" && fused_activation(conv).apply(0.0f) != 0.0f) return {};
  const int64_t M = w->dim(0), per = w->numel() / std::max<int64_t>(M, 1);
  std::vector<bool> zero(static_cast<size_t>(M), true);
  for (int64_t m = 0; m < M; ++m) {
    if (b && b->data<float>()[m] != 0.0f) zero[m] = false;
    for (int64_t i = 0; i < per && zero[m]; ++i) zero[m] = w->data<float>()[m * per + i] == 0.0f;
  }
  return zero;
}

// The tensor with the entries of `axis` whose `keep` is false removed, where axis index i
// covers `block` consecutive entries of that axis (the flattened channels of a Gemm).
Tensor drop_along(const Tensor& t, size_t axis, const std::vector<bool>& keep, int64_t block) {
  Shape shape = t.shape();
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  int64_t kept = 0;
  for (bool k : keep) kept += k;
  shape[axis] = kept * block;
  Tensor out(DType::kFloat32, shape);
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i)
      if (keep[i / block]) {
        dst = std::copy(src + (o * n + i) * inner, src + (o * n + i + 1) * inner, dst);
      }
  return out;
}

// Points input `index` of `node` at a new initializer holding `value`.
void replace_constant(Graph& g, Node& node, size_t index, Tensor value) {
  const std::string name = g.unique_name(node.inputs[index] + "_kept");
  g.initializers[name] = std::move(value);
  node.inputs[index] = name;
}

}  // namespace

int remove_zero_filters(Graph& g) {
  int removed = 0;
  for (size_t p = 0; p < g.nodes.size(); ++p) {
    if (!is_conv(g.nodes[p]) || g.nodes[p].inputs.size() < 2) continue;
    const std::vector<bool> zero = zero_channels(g, g.nodes[p]);
    std::vector<bool> keep(zero.size());
    int64_t dropped = 0;
    for (size_t m = 0; m < zero.size(); ++m) {
      keep[m] = !zero[m];
      dropped += zero[m];
    }
    // All-zero layers keep their channels: an empty tensor helps nobody.
    if (dropped == 0 || dropped == static_cast<int64_t>(zero.size())) continue;
    Readers readers;
    if (!collect_readers(g, find_uses(g), g.nodes[p].outputs[0], readers)) continue;
    Node& producer = g.nodes[p];
    replace_constant(g, producer, 1, drop_along(g.initializers.at(producer.inputs[1]), 0, keep, 1));
    if (producer.has_input(2))
      replace_constant(g, producer, 2,
                       drop_along(g.initializers.at(producer.inputs[2]), 0, keep, 1));
    for (size_t c : readers.convs)
      replace_constant(g, g.nodes[c], 1,
                       drop_along(g.initializers.at(g.nodes[c].inputs[1]), 1, keep, 1));
    for (auto [gemm, block] : readers.gemms) {
      Node& n = g.nodes[gemm];
      const bool trans_b = n.attr_int("transB", 0) != 0;
      replace_constant(g, n, 1,
                       drop_along(g.initializers.at(n.inputs[1]), trans_b ? 1 : 0, keep, block));
    }
    removed += static_cast<int>(dropped);
  }
  return removed;
}

}  // namespace sinter
