#pragma once
// The channel-blocked activation layout ("NCHW16c"): [N, ceil(C / 16), H, W, 16], each pixel's
// 16 channels of a block contiguous. A vector of output channels is then one aligned load or
// store, and a 1x1 convolution reads its input as it lies (no packing, no transposition), as in
// ONNX Runtime's NCHWc and oneDNN's nChw16c. Lanes past C hold finite values that no consumer
// reads into a result (the weights that would meet them are zero). The block is 16 on every
// tier, so a plan does not depend on the CPU it was made on.
#include <cstdint>

#include "core/thread_pool.h"

namespace sinter::kernels {

constexpr int64_t kChannelBlock = 16;

inline int64_t channel_blocks(int64_t channels) {
  return (channels + kChannelBlock - 1) / kChannelBlock;
}

// x [N, C, H, W] -> y [N, Cb, H, W, 16], lanes past C zero.
void reorder_to_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y,
                        ThreadPool* pool = nullptr);
// x [N, Cb, H, W, 16] -> y [N, C, H, W].
void reorder_from_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y,
                          ThreadPool* pool = nullptr);
// x [N, Cb, H, W, 16] -> y [N, C] (that is [N, C, 1, 1]): the mean of each channel's plane.
void global_average_pool_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y);

}  // namespace sinter::kernels
