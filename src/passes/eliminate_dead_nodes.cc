#include "passes/eliminate_dead_nodes.h"

#include <unordered_set>

namespace sinter {

int eliminate_dead_nodes(Graph& g) {
  std::unordered_set<std::string> needed(g.outputs.begin(), g.outputs.end());
  std::vector<bool> live(g.nodes.size(), false);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    for (const auto& o : n.outputs) live[i] = live[i] || (!o.empty() && needed.count(o));
    if (live[i])
      for (const auto& in : n.inputs) needed.insert(in);
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (live[i]) kept.push_back(std::move(g.nodes[i]));
  int removed = static_cast<int>(g.nodes.size() - kept.size());
  g.nodes = std::move(kept);
  for (auto it = g.initializers.begin(); it != g.initializers.end();)
    it = needed.count(it->first) ? std::next(it) : g.initializers.erase(it);
  return removed;
}

}  // namespace sinter
