#pragma once
// Sibling convolutions merged into one: convolutions that read the same input with the same
// window, stride, padding, dilation and activation (IOS's "operator merge", e.g. the 1×1 convs at
// the head of an Inception block's branches) become one convolution whose weights are theirs
// stacked along the output channels, followed by a Split along the channels that gives each its
// own output again. At batch 1 a channel range is one run of bytes, so the plan makes the Split's
// outputs views of the merged output (runtime/split_in_place.h) and it copies nothing. Used by the
// inter-operator scheduler, which merges a set only where it measured the merged convolution
// faster.
#include <vector>

#include "ir/graph.h"

namespace sinter {

// Sets of at least two nodes (indices, ascending) that could merge: Conv, sinter::FusedConv
// without a residual input or sinter::BlockedConv (with output channels in whole blocks), of
// one group, with constant float32 weights and biases, the same input, attributes and output
// size, at batch 1. A set is every such sibling of one input; any two or more of them can merge.
std::vector<std::vector<int>> sibling_conv_sets(const Graph& g);

// Where the nodes of the graph before merge_convs went.
struct MergedNodes {
  std::vector<int> node;                    // old node -> new node (a merged one: its conv)
  std::vector<std::pair<int, int>> merged;  // per set: the merged conv and its split
};

// Merges each of `sets` (disjoint subsets of sibling_conv_sets' sets) into one convolution and a
// Split placed where the set's first node was; the merged weights replace the sets' weights
// where nothing else reads them. The graph's types are updated.
MergedNodes merge_convs(Graph& g, const std::vector<std::vector<int>>& sets);

}  // namespace sinter
