#pragma once
// Shared by Conv (conv.cc) and its gradient ops (conv_grad.cc).
#include <vector>

#include "ir/node.h"
#include "kernels/conv/conv2d.h"

namespace sinter {

class GradientContext;

// The kernel's spatial dims from W's shape, checked against a `kernel_shape` attribute.
std::vector<int64_t> kernel_dims(const Node& node, const Shape& w);
// The 2-D problem for concrete X and W shapes (1-D as H = 1), from the node's attributes.
Conv2dShape conv_shape(const Node& node, const Shape& x, const Shape& w);
// Conv's gradient rule: dX and dW through ConvGradData / ConvGradWeight, dB as a sum of dY.
void conv_gradient(GradientContext& g);

}  // namespace sinter
