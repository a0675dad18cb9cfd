#pragma once
#include "ir/graph.h"

namespace sinter {

// Removes the output channels of a Conv (or sinter::FusedConv without a residual input) that
// are exactly zero for every input: the filter's weights and bias all zero and an activation
// that maps 0 to 0. Filter pruning leaves such channels once the following BatchNorm, zeroed
// with the filter, is folded in. The input channels that read them go too: in a Conv reading
// the channels (its weight's axis 1) and in a Gemm behind a Flatten (the channel's block of
// columns). On the way, zeros may pass channel-wise ops that keep them zero (Relu, MaxPool,
// AveragePool, GlobalAveragePool, GlobalMaxPool). A layer is left alone unless every reader of
// its output on those paths is one of these, and all weights involved are float32 constants.
// Returns the number of channels removed; types need inferring again afterwards.
int remove_zero_filters(Graph& g);

}  // namespace sinter
