// The CSR convolution's tile loop in plain C++ (the portable tier).
#include <algorithm>

#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void csr_conv2d_tiles_portable(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1) {
  constexpr int64_t kTile = ShiftedPlanes::kTile;
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * kTile;
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t m = m0; m < m1; ++m) {
        float* sums = flat + (m - m0) * p.flat_size() + t * kTile;
        if (b == b0) std::fill(sums, sums + kTile, 0.0f);
        for (int32_t k = w.block_begin[m * blocks + b]; k < w.block_begin[m * blocks + b + 1];
             ++k) {
          const float wt = w.csr.value[k];
          const float* in = base + w.csr.col[k];
          for (int64_t i = 0; i < kTile; ++i) sums[i] += wt * in[i];
        }
      }
  }
}

}  // namespace sinter::detail
