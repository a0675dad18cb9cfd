#include "passes/remove_identity.h"

#include <unordered_map>

namespace sinter {

namespace {
bool is_removable(const Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0].empty()) return false;
  if (n.op_type == "Identity") return true;
  // Dropout with a mask output in use, or training_mode given, is not a plain identity.
  if (n.op_type == "Dropout")
    return (n.outputs.size() < 2 || n.outputs[1].empty()) &&
           (n.inputs.size() < 3 || n.inputs[2].empty());
  return false;
}
}  // namespace

int remove_identity(Graph& g) {
  std::unordered_map<std::string, std::string> rename;
  auto resolve = [&](const std::string& v) {
    auto it = rename.find(v);
    return it == rename.end() ? v : it->second;
  };
  std::vector<Node> kept;
  for (Node& n : g.nodes) {
    for (auto& in : n.inputs) in = resolve(in);
    bool is_output = false;
    for (const auto& o : g.outputs) is_output = is_output || o == n.outputs[0];
    if (is_removable(n) && !is_output) {
      rename[n.outputs[0]] = n.inputs[0];
      continue;
    }
    kept.push_back(std::move(n));
  }
  int removed = static_cast<int>(g.nodes.size() - kept.size());
  g.nodes = std::move(kept);
  return removed;
}

}  // namespace sinter
