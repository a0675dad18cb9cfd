#include "ir/graph.h"

#include <unordered_set>

#include "core/error.h"

namespace sinter {

const ValueType* Graph::type_of(const std::string& v) const {
  auto it = types.find(v);
  return it == types.end() ? nullptr : &it->second;
}

void Graph::topological_sort() {
  std::unordered_set<std::string> available(inputs.begin(), inputs.end());
  for (const auto& [name, t] : initializers) available.insert(name);
  available.insert("");
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  std::vector<bool> placed(nodes.size(), false);
  // Repeated sweeps keep the original order where it is already valid (the common case).
  for (bool progress = true; progress && sorted.size() < nodes.size();) {
    progress = false;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (const auto& in : nodes[i].inputs) ready = ready && available.count(in);
      if (!ready) continue;
      for (const auto& out : nodes[i].outputs) available.insert(out);
      sorted.push_back(std::move(nodes[i]));
      placed[i] = true;
      progress = true;
    }
  }
  if (sorted.size() < nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (placed[i]) continue;
      for (const auto& in : nodes[i].inputs)
        if (!available.count(in))
          throw ModelError(cat(nodes[i].describe(), ": input '", in,
                               "' is not produced by any node, graph input or initializer (or lies "
                               "on a cycle)"));
    }
  }
  nodes = std::move(sorted);
}

std::unordered_map<std::string, size_t> Graph::producers() const {
  std::unordered_map<std::string, size_t> p;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (!o.empty()) p[o] = i;
  return p;
}

std::unordered_map<std::string, int> Graph::use_counts() const {
  std::unordered_map<std::string, int> uses;
  for (const auto& n : nodes)
    for (const auto& in : n.inputs)
      if (!in.empty()) uses[in]++;
  for (const auto& o : outputs) uses[o]++;
  return uses;
}

void Graph::remove_nodes(const std::vector<bool>& drop) {
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (i >= drop.size() || !drop[i]) kept.push_back(std::move(nodes[i]));
  nodes = std::move(kept);
}

std::string Graph::unique_name(const std::string& hint) const {
  std::unordered_set<std::string> used(inputs.begin(), inputs.end());
  for (const auto& [n, t] : initializers) used.insert(n);
  for (const auto& node : nodes)
    for (const auto& o : node.outputs) used.insert(o);
  if (!used.count(hint)) return hint;
  for (int i = 1;; ++i) {
    std::string candidate = cat(hint, "_", i);
    if (!used.count(candidate)) return candidate;
  }
}

}  // namespace sinter
