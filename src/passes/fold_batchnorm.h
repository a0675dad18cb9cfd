#pragma once
#include "ir/graph.h"

namespace sinter {

// Folds an inference BatchNormalization into the Conv (or Gemm with a constant weight) that
// feeds it: W' = W * s, B' = (B - mean) * s + beta with s = gamma / sqrt(var + eps), per output
// channel. Needs constant weights and statistics and a producer used only by the BN.
// Returns the number of BatchNormalization nodes removed.
int fold_batchnorm(Graph& g);

}  // namespace sinter
