#pragma once
// Depthwise 2-D convolution over NCHW floats (ONNX Conv with group == input channels), with the
// per-channel bias, an optional residual and an activation fused into the output write.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct DepthwiseConv2dParams {
  int64_t batch = 1, channels = 1, in_h = 1, in_w = 1;
  int64_t multiplier = 1;  // output channels per input channel (ONNX M / group)
  int64_t kernel_h = 3, kernel_w = 3;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  Activation activation;

  int64_t out_channels() const { return channels * multiplier; }
  int64_t out_h() const;
  int64_t out_w() const;
};

// x: [batch, channels, in_h, in_w]; w: [channels * multiplier, 1, kernel_h, kernel_w];
// bias: [channels * multiplier] or null; residual: shaped like y, or null; may equal y.
// y[n, oc] = activation(conv(x[n, oc / multiplier], w[oc]) + bias[oc] + residual[n, oc]).
// Output planes are split over `pool` (may be null).
void depthwise_conv2d(const DepthwiseConv2dParams& p, const float* x, const float* w,
                      const float* bias, const float* residual, float* y,
                      ThreadPool* pool = nullptr);

// Plain loops; any kernel, stride, padding, dilation and multiplier.
void depthwise_conv2d_reference(const DepthwiseConv2dParams& p, const float* x, const float* w,
                                const float* bias, const float* residual, float* y);

// The kernel of one ISA tier (kernels/isa_tables.h): output planes [plane_begin, plane_end) of
// the batch * out_channels planes, serially, for the shapes `supports` accepts (the portable
// tier: all). The dispatcher takes the best tier at or below active_isa() that runs a shape.
struct DepthwiseKernels {
  bool (*supports)(const DepthwiseConv2dParams& p);
  void (*conv2d)(const DepthwiseConv2dParams& p, const float* x, const float* w, const float* bias,
                 const float* residual, float* y, int64_t plane_begin, int64_t plane_end);
};
const IsaTables<DepthwiseKernels>& depthwise_kernels();
const DepthwiseKernels& depthwise_kernels_for(const DepthwiseConv2dParams& p);

namespace detail {
// Portable (depthwise_conv2d_portable.cc): any kernel, stride, padding, dilation and
// multiplier; each kernel row's taps clipped to the input once per output row.
const DepthwiseKernels& depthwise_kernels_portable();
// AVX2+FMA (depthwise_conv2d_avx2.cc): multiplier 1, square 3x3 or 5x5 kernels, stride 1 or 2,
// dilation 1, any padding.
const DepthwiseKernels& depthwise_kernels_avx2();
// AVX-512 (depthwise_conv2d_avx512.cc): the AVX2 shapes at 16 floats a vector, every activation
// but sigmoid (which the AVX2 tier then runs).
const DepthwiseKernels& depthwise_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
