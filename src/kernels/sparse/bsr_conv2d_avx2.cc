// The BSR convolution's tile loop with AVX2: the tile's 64 flat outputs in passes of 16 (2 ymm)
// for the 4 filters of a block row, 8 accumulators; per block and pass 2 input loads and 4
// broadcast weights for 8 multiply-adds.
#include <immintrin.h>

#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {
constexpr int kVectors = 2;
constexpr int kFilters = BsrWeights::kFilters;
}  // namespace

void bsr_conv2d_tiles_avx2(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1) {
  const int32_t* offset = w.offset.data();
  const float* value = w.value.data();
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t)
    for (int64_t r = m0 / kFilters; r * kFilters < m1; ++r)
      for (int64_t pass = 0; pass < ShiftedPlanes::kTile; pass += 8 * kVectors) {
        const float* base = padded + t * ShiftedPlanes::kTile + pass;
        __m256 acc[kFilters][kVectors];
        for (auto& filter : acc)
          for (auto& v : filter) v = _mm256_setzero_ps();
        for (int32_t k = w.block_begin[r * blocks + b0]; k < w.block_begin[r * blocks + b1]; ++k) {
          const float* in = base + offset[k];
          const __m256 x0 = _mm256_loadu_ps(in), x1 = _mm256_loadu_ps(in + 8);
          for (int f = 0; f < kFilters; ++f) {
            const __m256 wf = _mm256_broadcast_ss(value + k * kFilters + f);
            acc[f][0] = _mm256_fmadd_ps(wf, x0, acc[f][0]);
            acc[f][1] = _mm256_fmadd_ps(wf, x1, acc[f][1]);
          }
        }
        for (int f = 0; f < kFilters && r * kFilters + f < m1; ++f) {
          float* sums =
              flat + (r * kFilters + f - m0) * p.flat_size() + t * ShiftedPlanes::kTile + pass;
          for (int v = 0; v < kVectors; ++v) _mm256_storeu_ps(sums + 8 * v, acc[f][v]);
        }
      }
}

}  // namespace sinter::detail
