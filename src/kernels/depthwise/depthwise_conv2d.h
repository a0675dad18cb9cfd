#pragma once
// Depthwise 2-D convolution over NCHW floats (ONNX Conv with group == input channels), with the
// per-channel bias, an optional residual and an activation fused into the output write.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/activation.h"

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

namespace detail {
// Both compute output planes [plane_begin, plane_end) of the batch * out_channels planes.
void depthwise_conv2d_reference_planes(const DepthwiseConv2dParams& p, const float* x,
                                       const float* w, const float* bias, const float* residual,
                                       float* y, int64_t plane_begin, int64_t plane_end);
// AVX2+FMA: multiplier 1, square 3x3 or 5x5 kernels, stride 1 or 2, dilation 1, any padding.
bool depthwise_conv2d_avx2_supports(const DepthwiseConv2dParams& p);
void depthwise_conv2d_avx2(const DepthwiseConv2dParams& p, const float* x, const float* w,
                           const float* bias, const float* residual, float* y, int64_t plane_begin,
                           int64_t plane_end);
}  // namespace detail

}  // namespace sinter::kernels
