#pragma once
#include "ir/graph.h"

namespace sinter {

// Moves regions of convolutions into the channel-blocked layout (kernels/blocked/blocked_layout.h),
// as ONNX Runtime's NCHWc transformer does: Conv/FusedConv nodes with constant weights that
// group-1 direct or depthwise kernels run (not those Winograd or a sparse kernel runs better, nor
// windows whose weights pass L2), connected through their data and residual inputs, become
// sinter::BlockedConv; a MaxPool or channel Concat whose inputs all come blocked stays in the
// region (sinter::BlockedMaxPool; Concat along the block axis), and a GlobalAveragePool that
// reads one becomes sinter::BlockedGlobalAveragePool (NCHW out). Values leaving a region go
// through ReorderFromBlocked; inputs from outside through ReorderToBlocked, except that a first
// conv on an image's few channels reads the NCHW tensor directly. A region is rewritten only when
// its convolutions do at least 1024 flops per element its reorders move, and only when the tier
// in use has vector code for the blocked kernels. `sparse_kernels`: whether plans may choose
// sparse kernels (their layers stay as they are). Returns the nodes rewritten.
int use_blocked_layout(Graph& g, bool sparse_kernels);

}  // namespace sinter
