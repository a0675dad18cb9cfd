#pragma once
#include "ir/graph.h"

namespace sinter {

// Moves regions of convolutions into the channel-blocked layout (kernels/blocked/blocked_layout.h),
// as ONNX Runtime's NCHWc transformer does: Conv/FusedConv nodes with constant weights that
// group-1 direct or depthwise kernels run (not those Winograd or a sparse kernel runs better),
// connected through their data and residual inputs, become sinter::BlockedConv, and a
// GlobalAveragePool that reads one becomes sinter::BlockedGlobalAveragePool (NCHW out). Values
// leaving a region go through ReorderFromBlocked; a depthwise or residual input from outside
// through ReorderToBlocked; other first layers read the NCHW tensor directly. A region is
// rewritten only when its convolutions' multiply-adds outweigh those reorders by far, and only
// when the tier in use has vector code for the blocked kernels. `sparse_kernels`: whether plans
// may choose sparse kernels (their layers stay as they are). Returns the nodes rewritten.
int use_blocked_layout(Graph& g, bool sparse_kernels);

}  // namespace sinter
