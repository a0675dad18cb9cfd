#include "passes/fuse_gelu.h"

#include <cmath>
#include <optional>
#include <unordered_set>

#include "passes/chain_match.h"

namespace sinter {

namespace {

// The other input of a binary node when one of its inputs is a float scalar initializer equal to
// `value` (relative 1e-6), else nullopt.
std::optional<std::string> other_than_scalar(const Graph& g, const Node& n, float value) {
  if (n.inputs.size() != 2) return std::nullopt;
  for (int k = 0; k < 2; ++k) {
    const Tensor* c = g.float_initializer(n.inputs[static_cast<size_t>(k)]);
    if (c && c->numel() == 1 && std::fabs(c->data<float>()[0] - value) <= 1e-6f * std::fabs(value))
      return n.inputs[static_cast<size_t>(1 - k)];
  }
  return std::nullopt;
}

class GeluMatcher {
 public:
  explicit GeluMatcher(const Graph& g)
      : g_(g),
        uses_(g.use_counts()),
        producer_(g.producers()),
        outputs_(g.outputs.begin(), g.outputs.end()) {}

  // The chain ending at node `last` (the final Mul): its nodes and x, if it is a GELU.
  std::optional<std::pair<std::vector<size_t>, std::string>> match(size_t last) const {
    const Node& end = g_.nodes[last];
    if (!is_op(end, "Mul") || end.inputs.size() != 2) return std::nullopt;
    // Either end = Mul(Mul(x, add), 0.5) or end = Mul(Mul(x, 0.5), add) (operands in any order).
    for (int k = 0; k < 2; ++k) {
      const std::string& a = end.inputs[static_cast<size_t>(k)];
      const std::string& b = end.inputs[static_cast<size_t>(1 - k)];
      const auto inner = sole_producer(a);
      if (!inner || !is_op(g_.nodes[*inner], "Mul")) continue;
      const Node& m = g_.nodes[*inner];
      if (scalar_of(b, 0.5f)) {  // end = (x * add) * 0.5
        for (int j = 0; j < 2; ++j)
          if (auto chain = from_add(m.inputs[static_cast<size_t>(j)],
                                    m.inputs[static_cast<size_t>(1 - j)])) {
            chain->first.push_back(*inner);
            chain->first.push_back(last);
            return chain;
          }
      }
      if (const auto x = other_than_scalar(g_, m, 0.5f)) {  // end = (x * 0.5) * add
        if (auto chain = from_add(b, *x)) {
          chain->first.push_back(*inner);
          chain->first.push_back(last);
          return chain;
        }
      }
    }
    return std::nullopt;
  }

 private:
  // The node producing v when v has that node as its only producer and one reader, and is no
  // graph output.
  std::optional<size_t> sole_producer(const std::string& v) const {
    const auto p = producer_.find(v);
    const auto u = uses_.find(v);
    if (p == producer_.end() || u == uses_.end() || u->second != 1 || outputs_.count(v))
      return std::nullopt;
    return p->second;
  }

  // Whether v is a scalar initializer of `value` (an operand, not a produced value).
  bool scalar_of(const std::string& v, float value) const {
    const Tensor* c = g_.float_initializer(v);
    return c && c->numel() == 1 && std::fabs(c->data<float>()[0] - value) <= 1e-6f * value;
  }

  // add = Add(Erf(x / sqrt 2), 1), with x the value the chain multiplies by.
  std::optional<std::pair<std::vector<size_t>, std::string>> from_add(const std::string& add,
                                                                      const std::string& x) const {
    const auto a = sole_producer(add);
    if (!a || !is_op(g_.nodes[*a], "Add")) return std::nullopt;
    const auto erf_out = other_than_scalar(g_, g_.nodes[*a], 1.0f);
    if (!erf_out) return std::nullopt;
    const auto e = sole_producer(*erf_out);
    if (!e || !is_op(g_.nodes[*e], "Erf") || g_.nodes[*e].inputs.size() != 1) return std::nullopt;
    const auto s = sole_producer(g_.nodes[*e].inputs[0]);
    if (!s) return std::nullopt;
    const Node& scale = g_.nodes[*s];
    std::optional<std::string> scaled;
    if (is_op(scale, "Div")) {
      const Tensor* c = g_.float_initializer(scale.inputs.size() == 2 ? scale.inputs[1] : "");
      if (c && c->numel() == 1 && std::fabs(c->data<float>()[0] - std::sqrt(2.0f)) <= 1e-6f)
        scaled = scale.inputs[0];
    } else if (is_op(scale, "Mul")) {
      scaled = other_than_scalar(g_, scale, 1.0f / std::sqrt(2.0f));
    }
    if (!scaled || *scaled != x) return std::nullopt;
    const ValueType* t = g_.type_of(x);
    if (!t || t->dtype != DType::kFloat32) return std::nullopt;
    return std::make_pair(std::vector<size_t>{*s, *e, *a}, x);
  }

  const Graph& g_;
  std::unordered_map<std::string, int> uses_;
  std::unordered_map<std::string, size_t> producer_;
  std::unordered_set<std::string> outputs_;
};

}  // namespace

int fuse_gelu(Graph& g) {
  const GeluMatcher matcher(g);
  std::vector<bool> drop(g.nodes.size(), false);
  std::vector<std::pair<size_t, std::string>> fused;  // last node, x
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto chain = matcher.match(i);
    // Constants of a higher rank would have broadcast x to a larger shape: not a GELU of x.
    if (!chain || !same_shape(g, chain->second, g.nodes[i].outputs[0])) continue;
    bool free = true;
    for (size_t j : chain->first) free = free && !drop[j];
    if (!free) continue;
    for (size_t j : chain->first) drop[j] = true;
    fused.emplace_back(i, chain->second);
  }
  for (const auto& [last, x] : fused) {
    Node gelu;
    gelu.name = g.nodes[last].name + "_gelu";
    gelu.op_type = "Gelu";
    gelu.domain = "sinter";
    gelu.inputs = {x};
    gelu.outputs = g.nodes[last].outputs;
    g.nodes[last] = std::move(gelu);
    drop[last] = false;
  }
  g.remove_nodes(drop);
  return static_cast<int>(fused.size());
}

}  // namespace sinter
