#pragma once
// Shared by Conv (conv.cc), its gradient ops (conv_grad.cc) and the integer convolutions
// (conv_integer.cc, qlinear_conv.cc).
#include <vector>

#include "ir/node.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv3d.h"
#include "ops/op_registry.h"

namespace sinter {

class GradientContext;

// The kernel's spatial dims from W's shape, checked against a `kernel_shape` attribute.
std::vector<int64_t> kernel_dims(const Node& node, const Shape& w);
// The 2-D problem for concrete X and W shapes (1-D as H = 1), from the node's attributes.
Conv2dShape conv_shape(const Node& node, const Shape& x, const Shape& w);
// The same for 3-D (X [N, C, D, H, W]).
Conv3dShape conv3d_shape(const Node& node, const Shape& x, const Shape& w);
// The output shape [N, M, spatial...] for X and W shapes that may hold unknown (-1) dims, after
// checking ranks, groups and the window attributes; fails naming the node. More than
// `max_spatial` spatial dims is an UnsupportedError (the integer convolutions run 1-D and 2-D).
Shape conv_output_shape(const InferContext& ic, const Shape& x, const Shape& w,
                        size_t max_spatial = 2);
// Fails unless input i, the bias, has shape [M] (when its shape and M are known).
void check_conv_bias(const InferContext& ic, size_t i, int64_t M);
// Multiply-adds times two for weights w [M, C/group, k...] and output y.
double conv_flops(const Shape& w, const Shape& y);
// Conv's gradient rule: dX and dW through ConvGradData / ConvGradWeight, dB as a sum of dY.
void conv_gradient(GradientContext& g);

}  // namespace sinter
