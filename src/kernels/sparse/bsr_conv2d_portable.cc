// The BSR convolution's tile loop in plain C++ (the portable tier).
#include <algorithm>

#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void bsr_conv2d_tiles_portable(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1) {
  constexpr int64_t kTile = ShiftedPlanes::kTile, kFilters = BsrWeights::kFilters;
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * kTile;
    for (int64_t r = m0 / kFilters; r * kFilters < m1; ++r) {
      float acc[kFilters][kTile] = {};
      for (int32_t k = w.block_begin[r * blocks + b0]; k < w.block_begin[r * blocks + b1]; ++k) {
        const float* in = base + w.offset[k];
        for (int64_t f = 0; f < kFilters; ++f) {
          const float wt = w.value[k * kFilters + f];
          for (int64_t i = 0; i < kTile; ++i) acc[f][i] += wt * in[i];
        }
      }
      for (int64_t f = 0; f < kFilters && r * kFilters + f < m1; ++f)
        std::copy(acc[f], acc[f] + kTile,
                  flat + (r * kFilters + f - m0) * p.flat_size() + t * kTile);
    }
  }
}

}  // namespace sinter::detail
