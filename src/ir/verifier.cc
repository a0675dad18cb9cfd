#include "ir/verifier.h"

#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "ops/op_registry.h"

namespace sinter {

void verify_graph(const Graph& g) {
  // Where each defined value comes from, for "defined twice" messages.
  std::unordered_map<std::string, std::string> defined;
  for (const auto& in : g.inputs) {
    if (in.empty()) throw ModelError("a graph input has an empty name");
    if (!defined.emplace(in, "graph input").second)
      throw ModelError(cat("graph input '", in, "' is listed twice"));
  }
  for (const auto& [name, t] : g.initializers) {
    if (name.empty()) throw ModelError("an initializer has an empty name");
    if (!defined.emplace(name, "initializer").second)
      throw ModelError(cat("value '", name, "' is both a graph input and an initializer"));
  }
  // Produced by nodes not yet visited; lets a use-before-definition be told apart from a value
  // that nothing produces.
  std::unordered_set<std::string> produced_later;
  for (const auto& n : g.nodes)
    for (const auto& out : n.outputs)
      if (!out.empty()) produced_later.insert(out);

  for (const auto& n : g.nodes) {
    if (n.op_type.empty()) throw ModelError(cat(n.describe(), " has an empty op_type"));
    op_for(n, g.opset);
    if (n.outputs.empty()) throw ModelError(cat(n.describe(), " has no outputs"));
    for (const auto& in : n.inputs) {
      if (in.empty() || defined.count(in)) continue;
      if (produced_later.count(in))
        throw ModelError(cat(n.describe(), ": input '", in,
                             "' is used before the node producing it (not in topological order, "
                             "or on a cycle)"));
      throw ModelError(cat(n.describe(), ": input '", in,
                           "' is not produced by any node, graph input or initializer"));
    }
    for (const auto& out : n.outputs) {
      if (out.empty()) continue;  // an omitted optional output
      auto [it, fresh] = defined.emplace(out, n.describe());
      if (!fresh)
        throw ModelError(
            cat(n.describe(), ": output '", out, "' is already produced by ", it->second));
    }
  }
  for (const auto& out : g.outputs)
    if (!defined.count(out))
      throw ModelError(
          cat("graph output '", out, "' is not produced by any node, graph input or initializer"));
}

}  // namespace sinter
