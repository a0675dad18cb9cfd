#pragma once
#include "ir/graph.h"

namespace sinter {

// Drops Identity and inference-mode Dropout nodes by renaming their consumers' inputs, unless
// the node produces a graph output. Returns the number of nodes removed.
int remove_identity(Graph& g);

}  // namespace sinter
