#pragma once
#include "ir/graph.h"

namespace sinter {

// Folds a zero Pad of the spatial dims whose only reader is an AveragePool into the pool's own
// padding, counted in the divisor (count_include_pad = 1): how PyTorch exports avg_pool2d with
// padding (Inception-v3's pool branches), where the Pad copied the whole tensor to add a border of
// zeros. The sums are those of the padded tensor without its zeros, so the outputs are the same.
// Needs the Pad's pads and value as constants. Returns the number of Pads folded.
int fuse_pad_into_pool(Graph& g);

}  // namespace sinter
