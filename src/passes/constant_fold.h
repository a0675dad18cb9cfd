#pragma once
#include "ir/graph.h"

namespace sinter {

// Evaluates every node whose inputs are all initializers (Constant nodes included) and turns its
// outputs into initializers, so weights reach kernels as constants they can pre-pack.
// Returns the number of nodes folded.
int constant_fold(Graph& g);

}  // namespace sinter
