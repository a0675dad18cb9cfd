#include "kernels/blocked/blocked_layout.h"

#include <algorithm>

#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::kernels {

namespace {
// Runs fn(n, cb) for every image and channel block, over the pool when there is enough work.
template <class Fn>
void over_blocks(int64_t N, int64_t C, int64_t HW, ThreadPool* pool, Fn fn) {
  const int64_t blocks = N * channel_blocks(C);
  auto range = [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) fn(i / channel_blocks(C), i % channel_blocks(C));
  };
  if (pool && pool->num_threads() > 1 && blocks > 1 && blocks * HW * kChannelBlock >= 32768) {
    pool->parallel_range(blocks, 1, range);
  } else {
    range(0, blocks, 0);
  }
}
}  // namespace

void reorder_to_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y,
                        ThreadPool* pool) {
  const auto transpose = conv_training_kernels().active().transpose_to_channels_last;
  over_blocks(N, C, HW, pool, [&](int64_t n, int64_t cb) {
    const int64_t c0 = cb * kChannelBlock, lanes = std::min(kChannelBlock, C - c0);
    const float* in = x + (n * C + c0) * HW;
    float* out = y + (n * channel_blocks(C) + cb) * HW * kChannelBlock;
    // Whole groups of 8 channels through the tier's register-blocked transpose.
    const int64_t vectored = lanes / 8 * 8;
    if (vectored > 0) transpose(in, HW, vectored, HW, out, kChannelBlock);
    for (int64_t p = 0; p < HW; ++p) {
      float* o = out + p * kChannelBlock;
      for (int64_t c = vectored; c < lanes; ++c) o[c] = in[c * HW + p];
      for (int64_t c = lanes; c < kChannelBlock; ++c) o[c] = 0.0f;
    }
  });
}

void reorder_from_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y,
                          ThreadPool* pool) {
  const auto transpose = conv_training_kernels().active().transpose_to_channels_last;
  over_blocks(N, C, HW, pool, [&](int64_t n, int64_t cb) {
    const int64_t c0 = cb * kChannelBlock, lanes = std::min(kChannelBlock, C - c0);
    const float* in = x + (n * channel_blocks(C) + cb) * HW * kChannelBlock;
    float* out = y + (n * C + c0) * HW;
    // Whole groups of 8 pixels through the tier's register-blocked transpose.
    const int64_t vectored = HW / 8 * 8;
    if (vectored > 0) transpose(in, kChannelBlock, vectored, lanes, out, HW);
    for (int64_t c = 0; c < lanes; ++c)
      for (int64_t p = vectored; p < HW; ++p) out[c * HW + p] = in[p * kChannelBlock + c];
  });
}

void global_average_pool_blocked(const float* x, int64_t N, int64_t C, int64_t HW, float* y) {
  const int64_t Cb = channel_blocks(C);
  const float scale = 1.0f / static_cast<float>(HW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t cb = 0; cb < Cb; ++cb) {
      float sum[kChannelBlock] = {};
      const float* in = x + (n * Cb + cb) * HW * kChannelBlock;
      for (int64_t p = 0; p < HW; ++p)
        for (int64_t c = 0; c < kChannelBlock; ++c) sum[c] += in[p * kChannelBlock + c];
      const int64_t c0 = cb * kChannelBlock, lanes = std::min(kChannelBlock, C - c0);
      for (int64_t c = 0; c < lanes; ++c) y[n * C + c0 + c] = sum[c] * scale;
    }
}

}  // namespace sinter::kernels
