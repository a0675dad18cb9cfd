#pragma once
// Which nodes of a graph read which: what the inter-operator schedulers may run side by side.
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace sinter {

struct NodeDependencies {
  std::vector<std::vector<int>> inputs_from;  // per node, the nodes whose outputs it reads
  std::vector<std::vector<int>> outputs_to;   // per node, the nodes that read its outputs
};

NodeDependencies node_dependencies(const Graph& g);

// Ranges [begin, end) of consecutive nodes (graph order) that the schedulers plan apart, at most
// `max_nodes` each. A range ends where every later node descends from its last node, which alone
// is read after it (the waist after an Inception block's Concat, each node of a chain), so no two
// nodes that could run side by side are cut apart, except where a range has to be split for its
// size.
std::vector<std::pair<int, int>> schedule_blocks(const NodeDependencies& deps, int max_nodes);

}  // namespace sinter
