#pragma once
// 2-D convolution whose output is channel-blocked (blocked_layout.h) and whose input is blocked
// too or plain NCHW (the first layer of a blocked region reads the model's tensor as it is).
// Three kernels, chosen from the shape:
// - pointwise: 1x1 without padding on a blocked input; output channels are the vector
//   dimension (up to 4 blocks), up to 6 pixels broadcast from the input, the whole channel sum
//   in registers: nothing is packed at run time;
// - depthwise: group == C == M; each 16-channel block is one vector, taps read in place;
// - direct: any other group-1 window (a stem on 3 channels, strided windows, a 1x1 on an NCHW
//   input): per input channel and in-bounds tap, broadcast pixels times a weight vector.
// Bias, a residual (blocked, shaped like y) and an activation are applied before the one store.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/blocked/blocked_layout.h"
#include "kernels/conv/conv2d.h"
#include "kernels/isa_tables.h"

namespace sinter {

namespace kernels {

// Output channel blocks x pixels of one register tile, at most:
constexpr int kTileBlocks = 4;
constexpr int kTilePixels = 6;

// y[b * y_block_stride + j * 16 + lane] for blocks b < blocks, pixels j < pixels.
// A tile may sum its input channels in parts: the first starts from the bias, later ones from
// the sums y holds; only the last adds the residual and applies the activation.
struct BlockedTileOutput {
  const float* bias;      // blocks * 16 floats
  const float* residual;  // laid out like y, or null
  float* y;
  int64_t y_block_stride;
  Activation act;
  int blocks, pixels;
  bool first_part = true, last_part = true;
};

// Input channel c of pixel j at x[c / 16 * x_block_stride + j * x_pixel_stride + c % 16];
// weights w[c][blocks * 16], c < in_blocks * 16.
struct PointwiseTile {
  const float* x;
  int64_t x_block_stride, x_pixel_stride, in_blocks;
  const float* w;
  BlockedTileOutput out;
};

// Input channel c, tap t of pixel j at x[channel_offset[c] + tap_offset[t] + j * x_pixel_step];
// the tap's weights at w[(c * kernel_taps + tap_index[t]) * blocks * 16].
struct DirectTile {
  const float* x;
  const int64_t* channel_offset;
  int64_t channels;
  const int64_t* tap_offset;
  const int32_t* tap_index;
  int taps, kernel_taps;
  int64_t x_pixel_step;
  const float* w;
  BlockedTileOutput out;
};

// One output row of one channel block: x is the block's plane [H][W][16], w [KH][KW][16].
struct DepthwiseRow {
  const float* x;
  int64_t H, W;
  const float* w;
  const float* bias;  // 16 floats
  int64_t KH, KW, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int64_t oh, OW;
  const float* residual;  // the row in the residual, or null
  float* y;               // the row: [OW][16]
  Activation act;
};

// The kernels of one ISA tier (isa_tables.h).
struct BlockedConvKernels {
  void (*pointwise)(const PointwiseTile& t);
  void (*direct)(const DirectTile& t);
  void (*depthwise_row)(const DepthwiseRow& r);
};
const IsaTables<BlockedConvKernels>& blocked_conv_kernels();

namespace detail {
const BlockedConvKernels& blocked_conv_kernels_portable();
const BlockedConvKernels& blocked_conv_kernels_avx512();
}  // namespace detail

}  // namespace kernels

class BlockedConv2d {
 public:
  enum class Algorithm { kPointwise, kDepthwise, kDirect };

  // Whether the shape runs here: group 1, or depthwise with one output channel per input one.
  static bool supports(const Conv2dShape& s);
  // Whether the tier in use has vector code for these kernels (the portable loops are for
  // testing and for machines the layout would not pay on).
  static bool vectorized();

  // w [M, C / group, KH, KW] and bias [M] (or null) are packed here. `tier`: the kernels to run
  // (tests pick each tier; plans take the active one).
  BlockedConv2d(const Conv2dShape& s, bool input_blocked, const float* w, const float* bias,
                const Activation& act,
                const kernels::BlockedConvKernels& tier = kernels::blocked_conv_kernels().active());

  // x: [N, Cb, H, W, 16] when input_blocked, else [N, C, H, W]; y and residual (or null):
  // [N, Mb, OH, OW, 16].
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;

  Algorithm algorithm() const { return algorithm_; }
  const Conv2dShape& shape() const { return s_; }

 private:
  void run_pointwise(const float* x, float* y, const float* residual, ThreadPool* pool) const;
  void run_depthwise(const float* x, float* y, const float* residual, ThreadPool* pool) const;
  void run_direct(const float* x, float* y, const float* residual, ThreadPool* pool) const;

  Conv2dShape s_;
  bool input_blocked_;
  Activation act_;
  Algorithm algorithm_;
  const kernels::BlockedConvKernels* k_;
  // The weights of each group of up to 4 output blocks, from weights_[group_offset_[g]] on:
  // [input channels (padded to whole blocks when the input is blocked)][KH * KW][blocks * 16];
  // depthwise: [Cb][KH * KW][16]. 64-byte aligned, so weight vectors are aligned loads.
  std::shared_ptr<float[]> weights_;
  std::vector<int64_t> group_offset_;
  std::vector<float> bias_;  // Mb * 16
  std::vector<int64_t> channel_offset_;
};

}  // namespace sinter
