// PatternConv2d: grouping each filter's kept kernels by pattern, and the split over threads.
// The arithmetic is the tier's (sparse_kernels.h): pattern_conv2d_portable.cc, _avx2.cc.
#include "kernels/sparse/pattern_conv2d.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/sparse/pattern_masks.h"

namespace sinter {

bool PatternConv2d::supports(const Conv2dShape& s, const float* weights) {
  if (s.KH != 3 || s.KW != 3 || !ShiftedPlanes::supports(s)) return false;
  for (int64_t k = 0; k < s.M * s.C; ++k)
    if (std::popcount(nonzero_taps(weights + k * kKernelTaps)) > kPatternTaps) return false;
  return true;
}

PatternConv2d::PatternConv2d(const Conv2dShape& s, const float* weights, const float* bias,
                             const Activation& act, Isa isa)
    : planes_(s, isa, ShiftedPlanes::RowTaps::kCopied), act_(act), k_(&sparse_kernels().at(isa)) {
  SINTER_CHECK(supports(s, weights), "PatternConv2d: weights are not 3x3 pattern-sparse");
  if (bias) bias_.assign(bias, bias + s.M);
  struct Kept {
    uint32_t pattern;
    int64_t channel;
  };
  w_.channel_blocks = (s.C + kPatternChannelBlock - 1) / kPatternChannelBlock;
  for (int64_t m = 0; m < s.M; ++m) {
    std::vector<Kept> kept;
    for (int64_t c = 0; c < s.C; ++c)
      if (uint32_t mask = nonzero_taps(weights + (m * s.C + c) * kKernelTaps))
        kept.push_back({complete_to_four(mask), c});
    int64_t block = 0;
    for (const Kept& k : kept) {  // in channel order
      for (; block <= k.channel / kPatternChannelBlock; ++block)
        w_.block_begin.push_back(static_cast<int32_t>(w_.kernels.size()));
      const float* kernel = weights + (m * s.C + k.channel) * kKernelTaps;
      PatternKernel kept_kernel{};
      int tap = 0;
      for (int t = 0; t < kKernelTaps; ++t)
        if (k.pattern & (1u << t)) {
          kept_kernel.offset[tap] = planes_.tap_offset(k.channel, t / 3, t % 3);
          kept_kernel.weight[tap++] = kernel[t];
        }
      w_.kernels.push_back(kept_kernel);
    }
    for (; block < w_.channel_blocks; ++block)
      w_.block_begin.push_back(static_cast<int32_t>(w_.kernels.size()));
  }
  w_.block_begin.push_back(static_cast<int32_t>(w_.kernels.size()));
}

void PatternConv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  const auto tiles = k_->pattern_conv2d_tiles;
  planes_.run(
      x, bias, residual, act_, y, pool,
      [&](const float* padded, float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
          int64_t b0, int64_t b1) { tiles(planes_, w_, padded, flat, t0, t1, m0, m1, b0, b1); },
      1, kPatternChannelBlock);
}

}  // namespace sinter
