// The pattern convolution's tile loop in plain C++ (the portable tier).
#include <algorithm>

#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void pattern_conv2d_tiles_portable(const ShiftedPlanes& p, const PatternWeights& w,
                                   const float* padded, float* flat, int64_t t0, int64_t t1,
                                   int64_t m0, int64_t m1, int64_t b0, int64_t b1) {
  constexpr int64_t kTile = ShiftedPlanes::kTile;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * kTile;
    for (int64_t m = m0; m < m1; ++m) {
      float acc[kTile] = {};
      const int64_t blocks = w.channel_blocks;
      for (int32_t k = w.block_begin[m * blocks + b0]; k < w.block_begin[m * blocks + b1]; ++k) {
        const PatternKernel& kernel = w.kernels[k];
        for (int tap = 0; tap < kPatternTaps; ++tap) {
          const float wt = kernel.weight[tap];
          const float* in = base + kernel.offset[tap];
          for (int64_t i = 0; i < kTile; ++i) acc[i] += wt * in[i];
        }
      }
      std::copy(acc, acc + kTile, flat + (m - m0) * p.flat_size() + t * kTile);
    }
  }
}

}  // namespace sinter::detail
