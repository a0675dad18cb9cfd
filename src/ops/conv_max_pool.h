#pragma once
// sinter::ConvMaxPool: a convolution, its activation and the MaxPool after it as one node, made by
// passes/fuse_conv_max_pool.h. It carries the convolution's and the activation's attributes as
// sinter::FusedConv does, and the pool's with the prefix "pool_"; inputs X, W and optional B.
#include "ir/node.h"

namespace sinter {

inline constexpr const char* kPoolAttributePrefix = "pool_";

// The node's two halves as nodes of their own (FusedConv and MaxPool), for shape inference and
// kernel parameters. The MaxPool reads a value named after the node.
Node conv_part(const Node& fused);
Node pool_part(const Node& fused);

}  // namespace sinter
