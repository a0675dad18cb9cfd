#pragma once
// The window of a MaxPool/AveragePool node over a concrete input shape: shared by the pool ops
// and the fused convolution + max pool.
#include "ir/node.h"
#include "kernels/pool/pool2d.h"
#include "kernels/pool/pool3d.h"
#include "ops/window_geometry.h"

namespace sinter {

// Output extents, strides and pads; pads must be smaller than the window's extent (as in ONNX
// Runtime), so that no window lies wholly in padding.
WindowGeometry pool_geometry(const Node& node, const Shape& x);
// The kernels' parameters for X of shape x ([N, C, H, W] or [N, C, W]).
kernels::Pool2dParams pool_params(const Node& node, const Shape& x);
// The same for X of shape [N, C, D, H, W].
kernels::Pool3dParams pool3d_params(const Node& node, const Shape& x);

}  // namespace sinter
