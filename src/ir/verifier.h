#pragma once
#include "ir/graph.h"

namespace sinter {

// Checks that a graph is well formed: every op_type is non-empty and known to sinter (op_for's
// UnsupportedError passes through), every value is defined exactly once (graph input,
// initializer or node output), every node input and graph output is defined before use, and
// graph input names are unique. Throws ModelError naming the offending node or value.
void verify_graph(const Graph& g);

}  // namespace sinter
