#include "passes/merge_sibling_convs.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <unordered_set>

#include "core/error.h"
#include "kernels/blocked/blocked_layout.h"

namespace sinter {

namespace {

bool is_blocked(const Node& n) { return n.domain == "sinter" && n.op_type == "BlockedConv"; }

// Tensor attributes never compare equal: convolutions have none.
bool same_value(const Attribute& a, const Attribute& b) {
  return a.index() == b.index() && std::visit(
                                       [&](const auto& x) {
                                         using T = std::decay_t<decltype(x)>;
                                         if constexpr (std::is_same_v<T, Tensor>) {
                                           return false;
                                         } else {
                                           return x == std::get<T>(b);
                                         }
                                       },
                                       a);
}

bool same_attributes(const Node& a, const Node& b) {
  if (a.attrs.size() != b.attrs.size()) return false;
  for (const auto& [key, value] : a.attrs) {
    auto it = b.attrs.find(key);
    if (it == b.attrs.end() || !same_value(value, it->second)) return false;
  }
  return true;
}

// Whether `n` could merge with siblings at all.
bool mergeable(const Graph& g, const Node& n) {
  const bool conv = (n.domain.empty() && n.op_type == "Conv") ||
                    (n.domain == "sinter" && (n.op_type == "FusedConv" || is_blocked(n)));
  if (!conv || n.outputs.size() != 1 || n.inputs.size() < 2 || n.has_input(3) ||
      n.attr_int("group", 1) != 1)
    return false;
  const Tensor* w = g.float_initializer(n.inputs[1]);
  const Tensor* b = n.has_input(2) ? g.float_initializer(n.inputs[2]) : nullptr;
  const ValueType* y = g.type_of(n.outputs[0]);
  if (!w || w->rank() < 3 || (n.has_input(2) && (!b || b->rank() != 1)) || !y || !y->has_shape ||
      !shape_is_static(y->shape) || y->shape.size() < 2 || y->shape[0] != 1)
    return false;
  return !is_blocked(n) || w->dim(0) % kernels::kChannelBlock == 0;
}

bool siblings(const Graph& g, const Node& a, const Node& b) {
  if (a.op_type != b.op_type || a.domain != b.domain || a.inputs[0] != b.inputs[0] ||
      a.has_input(2) != b.has_input(2) || !same_attributes(a, b))
    return false;
  const Shape& wa = g.initializers.at(a.inputs[1]).shape();
  const Shape& wb = g.initializers.at(b.inputs[1]).shape();
  Shape ya = g.type_of(a.outputs[0])->shape, yb = g.type_of(b.outputs[0])->shape;
  ya.erase(ya.begin() + 1);
  yb.erase(yb.begin() + 1);
  return std::equal(wa.begin() + 1, wa.end(), wb.begin() + 1, wb.end()) && ya == yb;
}

// The set's tensors (weights or biases) stacked along their first dim.
Tensor stacked(const Graph& g, const std::vector<const Node*>& nodes, size_t input) {
  Shape shape = g.initializers.at(nodes[0]->inputs[input]).shape();
  shape[0] = 0;
  for (const Node* n : nodes) shape[0] += g.initializers.at(n->inputs[input]).dim(0);
  Tensor t(DType::kFloat32, shape);
  auto* out = static_cast<std::byte*>(t.raw());
  for (const Node* n : nodes) {
    const Tensor& part = g.initializers.at(n->inputs[input]);
    std::memcpy(out, part.raw(), part.nbytes());
    out += part.nbytes();
  }
  return t;
}

}  // namespace

std::vector<std::vector<int>> sibling_conv_sets(const Graph& g) {
  std::vector<std::vector<int>> sets;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!mergeable(g, g.nodes[i])) continue;
    auto set = std::find_if(sets.begin(), sets.end(), [&](const std::vector<int>& s) {
      return siblings(g, g.nodes[s[0]], g.nodes[i]);
    });
    if (set == sets.end())
      sets.push_back({static_cast<int>(i)});
    else
      set->push_back(static_cast<int>(i));
  }
  sets.erase(std::remove_if(sets.begin(), sets.end(), [](const auto& s) { return s.size() < 2; }),
             sets.end());
  return sets;
}

MergedNodes merge_convs(Graph& g, const std::vector<std::vector<int>>& sets) {
  const size_t n = g.nodes.size();
  std::vector<int> set_of(n, -1);
  for (size_t s = 0; s < sets.size(); ++s) {
    SINTER_CHECK(sets[s].size() >= 2, "a merge of ", sets[s].size(), " convolutions");
    for (int node : sets[s]) {
      SINTER_CHECK(node >= 0 && static_cast<size_t>(node) < n && set_of[node] < 0,
                   "merge sets must name distinct nodes");
      set_of[node] = static_cast<int>(s);
    }
  }
  // Each set's merged convolution and split, made before the graph changes.
  std::vector<std::pair<Node, Node>> made;
  std::unordered_set<std::string> replaced;  // the members' weights and biases
  for (const auto& set : sets) {
    std::vector<const Node*> members;
    for (int node : set) {
      members.push_back(&g.nodes[node]);
      for (size_t i = 1; i < 3 && i < g.nodes[node].inputs.size(); ++i)
        replaced.insert(g.nodes[node].inputs[i]);
    }
    const Node& first = *members[0];
    Node conv = first;
    conv.name = first.name + "/merged";
    conv.inputs[1] = g.unique_name(first.inputs[1] + "/merged");
    g.initializers[conv.inputs[1]] = stacked(g, members, 1);
    if (first.has_input(2)) {
      conv.inputs[2] = g.unique_name(first.inputs[2] + "/merged");
      g.initializers[conv.inputs[2]] = stacked(g, members, 2);
    }
    conv.outputs = {g.unique_name(first.outputs[0] + "/merged")};
    ValueType y = *g.type_of(first.outputs[0]);
    y.shape[1] = 0;
    std::vector<int64_t> sizes;  // along dim 1: channels, or blocks of them for BlockedConv
    for (const Node* m : members) {
      sizes.push_back(g.type_of(m->outputs[0])->shape[1]);
      y.shape[1] += sizes.back();
    }
    g.types[conv.outputs[0]] = y;
    for (const auto& t : {conv.inputs[1], conv.inputs[2]})
      if (!t.empty()) g.types[t] = {DType::kFloat32, g.initializers.at(t).shape(), true};
    Node split;
    split.name = first.name + "/split";
    split.op_type = "Split";
    split.attrs["axis"] = int64_t{1};
    split.inputs = {conv.outputs[0]};
    for (const Node* m : members) split.outputs.push_back(m->outputs[0]);
    if (g.opset >= 13) {
      const std::string name = g.unique_name(first.name + "/split_sizes");
      Tensor t(DType::kInt64, {static_cast<int64_t>(sizes.size())});
      std::copy(sizes.begin(), sizes.end(), t.data<int64_t>());
      g.initializers[name] = t;
      g.types[name] = {DType::kInt64, t.shape(), true};
      split.inputs.push_back(name);
    } else {
      split.attrs["split"] = sizes;
    }
    made.emplace_back(std::move(conv), std::move(split));
  }
  MergedNodes result;
  result.node.assign(n, -1);
  result.merged.assign(sets.size(), {-1, -1});
  std::vector<Node> nodes;
  for (size_t i = 0; i < n; ++i) {
    const int s = set_of[i];
    if (s < 0) {
      result.node[i] = static_cast<int>(nodes.size());
      nodes.push_back(std::move(g.nodes[i]));
      continue;
    }
    if (result.merged[s].first < 0) {
      result.merged[s] = {static_cast<int>(nodes.size()), static_cast<int>(nodes.size()) + 1};
      nodes.push_back(std::move(made[s].first));
      nodes.push_back(std::move(made[s].second));
    }
    result.node[i] = result.merged[s].first;
  }
  g.nodes = std::move(nodes);
  // The members' own weights, where nothing reads them any more.
  std::unordered_set<std::string> read;
  for (const Node& node : g.nodes) read.insert(node.inputs.begin(), node.inputs.end());
  for (const auto& name : replaced)
    if (!read.count(name)) g.initializers.erase(name);
  return result;
}

}  // namespace sinter
