#include "passes/fuse_layer_norm.h"

#include <cmath>
#include <optional>
#include <unordered_set>

#include "passes/chain_match.h"

namespace sinter {

namespace {

struct LayerNormChain {
  std::vector<size_t> nodes;  // every node of the chain, the last one included
  size_t last;
  std::string x, gamma, beta;
  int64_t axis;  // the first normalized axis, negative (from the end)
  float epsilon;
};

class LayerNormMatcher {
 public:
  explicit LayerNormMatcher(const Graph& g)
      : g_(g),
        uses_(g.use_counts()),
        producer_(g.producers()),
        outputs_(g.outputs.begin(), g.outputs.end()) {
    for (size_t j = 0; j < g.nodes.size(); ++j)
      for (const auto& in : g.nodes[j].inputs) readers_[in].push_back(j);
  }

  // The chain whose Div is node `div`.
  std::optional<LayerNormChain> match(size_t div) const {
    const Node& n = g_.nodes[div];
    if (!is_op(n, "Div") || n.inputs.size() != 2) return std::nullopt;
    const std::string& d = n.inputs[0];
    // Sqrt(Add(ReduceMean(d^2), eps))
    const auto sqrt = sole_producer(n.inputs[1]);
    if (!sqrt || !is_op(g_.nodes[*sqrt], "Sqrt")) return std::nullopt;
    const auto add = sole_producer(g_.nodes[*sqrt].inputs[0]);
    if (!add || !is_op(g_.nodes[*add], "Add")) return std::nullopt;
    std::string var_value;
    const auto eps = scalar_operand(g_.nodes[*add], var_value);
    if (!eps || !(*eps >= 0)) return std::nullopt;
    const auto var = sole_producer(var_value);
    if (!var || !is_op(g_.nodes[*var], "ReduceMean")) return std::nullopt;
    const auto square = sole_producer(g_.nodes[*var].inputs[0]);
    if (!square || !squares(g_.nodes[*square], d)) return std::nullopt;
    // d = Sub(x, ReduceMean(x)), read by the square and this Div only.
    const auto sub = producer(d);
    if (!sub || !is_op(g_.nodes[*sub], "Sub") || outputs_.count(d) ||
        uses_.at(d) != readers_of(*square, d) + 1)
      return std::nullopt;
    const std::string& x = g_.nodes[*sub].inputs[0];
    const auto mean = sole_producer(g_.nodes[*sub].inputs[1]);
    if (!mean || !is_op(g_.nodes[*mean], "ReduceMean") || g_.nodes[*mean].inputs[0] != x)
      return std::nullopt;
    const ValueType* xt = g_.type_of(x);
    if (!xt || !xt->has_shape || xt->dtype != DType::kFloat32 || xt->shape.empty())
      return std::nullopt;
    const int64_t rank = static_cast<int64_t>(xt->shape.size());
    const auto first = trailing_axes(g_.nodes[*mean], rank);
    if (!first || trailing_axes(g_.nodes[*var], rank) != first) return std::nullopt;
    LayerNormChain c;
    c.nodes = {*mean, *sub, *square, *var, *add, *sqrt, div};
    c.last = div;
    c.x = x;
    c.axis = *first - rank;
    c.epsilon = *eps;
    // * gamma, then optionally + beta.
    const auto mul = sole_reader(n.outputs[0]);
    if (!mul || !is_op(g_.nodes[*mul], "Mul")) return std::nullopt;
    const auto gamma = constant_operand(g_.nodes[*mul], n.outputs[0], -c.axis);
    if (!gamma) return std::nullopt;
    c.gamma = *gamma;
    c.nodes.push_back(*mul);
    c.last = *mul;
    if (const auto plus = sole_reader(g_.nodes[*mul].outputs[0]);
        plus && is_op(g_.nodes[*plus], "Add")) {
      if (const auto beta = constant_operand(g_.nodes[*plus], g_.nodes[*mul].outputs[0], -c.axis)) {
        c.beta = *beta;
        c.nodes.push_back(*plus);
        c.last = *plus;
      }
    }
    return c;
  }

 private:
  std::optional<size_t> producer(const std::string& v) const {
    const auto p = producer_.find(v);
    if (p == producer_.end()) return std::nullopt;
    return p->second;
  }

  // The producer of v when v has one reader and is no graph output.
  std::optional<size_t> sole_producer(const std::string& v) const {
    const auto u = uses_.find(v);
    if (u == uses_.end() || u->second != 1 || outputs_.count(v)) return std::nullopt;
    return producer(v);
  }

  // The one node reading v when v is no graph output.
  std::optional<size_t> sole_reader(const std::string& v) const {
    const auto r = readers_.find(v);
    const auto u = uses_.find(v);
    if (r == readers_.end() || u == uses_.end() || u->second != 1 || outputs_.count(v))
      return std::nullopt;
    return r->second.front();
  }

  // How many of node i's inputs are v.
  int readers_of(size_t i, const std::string& v) const {
    int n = 0;
    for (const auto& in : g_.nodes[i].inputs) n += in == v;
    return n;
  }

  // d^2 as Pow(d, 2) or Mul(d, d).
  bool squares(const Node& n, const std::string& d) const {
    if (is_op(n, "Mul")) return n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d;
    if (!is_op(n, "Pow") || n.inputs.size() != 2 || n.inputs[0] != d) return false;
    const Tensor* e = g_.float_initializer(n.inputs[1]);
    return e && e->numel() == 1 && e->data<float>()[0] == 2.0f;
  }

  // A binary node's float scalar constant operand (setting `other` to the other operand).
  std::optional<float> scalar_operand(const Node& n, std::string& other) const {
    if (n.inputs.size() != 2) return std::nullopt;
    for (int k = 0; k < 2; ++k) {
      const Tensor* c = g_.float_initializer(n.inputs[static_cast<size_t>(k)]);
      if (c && c->numel() == 1) {
        other = n.inputs[static_cast<size_t>(1 - k)];
        return c->data<float>()[0];
      }
    }
    return std::nullopt;
  }

  // The float constant of a binary node whose other operand is v, when it broadcasts over the
  // last `normalized` dims only (rank at most that many).
  std::optional<std::string> constant_operand(const Node& n, const std::string& v,
                                              int64_t normalized) const {
    if (n.inputs.size() != 2) return std::nullopt;
    for (int k = 0; k < 2; ++k) {
      if (n.inputs[static_cast<size_t>(1 - k)] != v) continue;
      const std::string& c = n.inputs[static_cast<size_t>(k)];
      const Tensor* t = g_.float_initializer(c);
      if (t && static_cast<int64_t>(t->shape().size()) <= normalized) return c;
    }
    return std::nullopt;
  }

  // The first axis of a keepdims ReduceMean over the trailing axes of a rank-`rank` input.
  std::optional<int64_t> trailing_axes(const Node& n, int64_t rank) const {
    if (n.attr_int("keepdims", 1) != 1) return std::nullopt;
    std::vector<int64_t> axes;
    if (n.has_attr("axes")) {
      axes = n.attr_ints("axes");
    } else if (n.has_input(1)) {
      const auto it = g_.initializers.find(n.inputs[1]);
      if (it == g_.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
      axes = it->second.to_int64_vector();
    }
    if (axes.empty()) return std::nullopt;
    std::vector<bool> taken(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) return std::nullopt;
      taken[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
    }
    const int64_t first = rank - static_cast<int64_t>(axes.size());
    for (int64_t d = 0; d < rank; ++d)
      if (taken[static_cast<size_t>(d)] != (d >= first)) return std::nullopt;
    return first;
  }

  const Graph& g_;
  std::unordered_map<std::string, int> uses_;
  std::unordered_map<std::string, size_t> producer_;
  std::unordered_map<std::string, std::vector<size_t>> readers_;
  std::unordered_set<std::string> outputs_;
};

}  // namespace

int fuse_layer_norm(Graph& g) {
  const LayerNormMatcher matcher(g);
  std::vector<bool> drop(g.nodes.size(), false);
  std::vector<LayerNormChain> fused;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    auto chain = matcher.match(i);
    // Constants that broadcast x to a larger shape make it something else than a LayerNorm of x.
    if (!chain || !same_shape(g, chain->x, g.nodes[chain->last].outputs[0])) continue;
    bool free = true;
    for (size_t j : chain->nodes) free = free && !drop[j];
    if (!free) continue;
    for (size_t j : chain->nodes) drop[j] = true;
    fused.push_back(std::move(*chain));
  }
  for (const LayerNormChain& c : fused) {
    Node norm;
    norm.name = g.nodes[c.last].name + "_layer_norm";
    norm.op_type = "LayerNormalization";
    norm.domain = "sinter";
    norm.inputs = {c.x, c.gamma};
    if (!c.beta.empty()) norm.inputs.push_back(c.beta);
    norm.outputs = {g.nodes[c.last].outputs[0]};
    norm.attrs["axis"] = c.axis;
    norm.attrs["epsilon"] = c.epsilon;
    g.nodes[c.last] = std::move(norm);
    drop[c.last] = false;
  }
  g.remove_nodes(drop);
  return static_cast<int>(fused.size());
}

}  // namespace sinter
