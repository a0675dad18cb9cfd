#pragma once
#include "ir/graph.h"

namespace sinter {

// Fuses a convolution (Conv, or FusedConv without a residual) whose only consumer is a MaxPool
// into sinter::ConvMaxPool (ops/conv_max_pool.h), where the fused direct kernel runs it: the image
// stems of ResNet and SqueezeNet, whose convolution output would otherwise go to memory and back.
// Needs inferred shapes and constant weights. With `sparse_kernels`, a convolution a sparse kernel
// would take (a pruned stem) stays apart. Returns the number of nodes absorbed.
int fuse_conv_max_pool(Graph& g, bool sparse_kernels);

}  // namespace sinter
