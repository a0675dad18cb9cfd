#pragma once
#include "ir/graph.h"

namespace sinter {

// Removes nodes none of whose outputs reach a graph output, and initializers nothing reads.
// Returns the number of nodes removed.
int eliminate_dead_nodes(Graph& g);

}  // namespace sinter
