#include "runtime/node_dependencies.h"

#include <algorithm>

namespace sinter {

NodeDependencies node_dependencies(const Graph& g) {
  NodeDependencies deps;
  const size_t n = g.nodes.size();
  deps.inputs_from.resize(n);
  deps.outputs_to.resize(n);
  const auto producers = g.producers();
  for (size_t c = 0; c < n; ++c)
    for (const auto& in : g.nodes[c].inputs) {
      auto it = in.empty() ? producers.end() : producers.find(in);
      if (it == producers.end()) continue;
      const int p = static_cast<int>(it->second);
      auto& from = deps.inputs_from[c];
      if (std::find(from.begin(), from.end(), p) != from.end()) continue;
      from.push_back(p);
      deps.outputs_to[p].push_back(static_cast<int>(c));
    }
  for (auto& to : deps.outputs_to) std::sort(to.begin(), to.end());
  return deps;
}

std::vector<std::pair<int, int>> schedule_blocks(const NodeDependencies& deps, int max_nodes) {
  const int n = static_cast<int>(deps.outputs_to.size());
  std::vector<std::pair<int, int>> blocks;
  auto add = [&](int begin, int end) {
    for (; begin < end; begin += max_nodes)
      blocks.emplace_back(begin, std::min(end, begin + max_nodes));
  };
  // A cut after b leaves only b's outputs crossing it (reach: the last node that reads from a
  // node before b) and every later node reading from some node (so, by induction, descending
  // from b; a node that reads only graph inputs could run beside anything).
  int last_unrooted = -1;
  for (int c = 0; c < n; ++c)
    if (deps.inputs_from[c].empty()) last_unrooted = c;
  int begin = 0, reach = -1;
  for (int b = 0; b < n; ++b) {
    if (reach <= b && last_unrooted <= b) {
      add(begin, b + 1);
      begin = b + 1;
    }
    for (int c : deps.outputs_to[b]) reach = std::max(reach, c);
  }
  add(begin, n);
  return blocks;
}

}  // namespace sinter
