#pragma once
#include "ir/graph.h"

namespace sinter {

// Shape subgraph simplification: Shape and Size of a tensor whose shape is static become
// initializers. Exporters emit Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains for
// flatten/view; after this pass constant_fold collapses the rest, leaving one Reshape.
// Needs types from infer_graph. Returns the number of nodes replaced.
int fold_shape_ops(Graph& g);

}  // namespace sinter
