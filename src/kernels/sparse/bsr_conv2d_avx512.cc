// The BSR convolution's tile loop with AVX-512: a tile of 64 flat outputs (4 zmm) for the 4
// filters of a block row, 16 accumulators; per block 4 input loads (aligned where the planes are)
// and 4 broadcast weights for 16 multiply-adds.
#include <immintrin.h>

#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {
constexpr int kVectors = ShiftedPlanes::kTile / 16;
constexpr int kFilters = BsrWeights::kFilters;
}  // namespace

void bsr_conv2d_tiles_avx512(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                             float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                             int64_t b0, int64_t b1) {
  const int32_t* offset = w.offset.data();
  const float* value = w.value.data();
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * ShiftedPlanes::kTile;
    for (int64_t r = m0 / kFilters; r * kFilters < m1; ++r) {
      __m512 acc[kFilters][kVectors];
      for (auto& filter : acc)
        for (auto& v : filter) v = _mm512_setzero_ps();
      for (int32_t k = w.block_begin[r * blocks + b0]; k < w.block_begin[r * blocks + b1]; ++k) {
        const float* in = base + offset[k];
        __m512 x[kVectors];
        for (int v = 0; v < kVectors; ++v) x[v] = _mm512_loadu_ps(in + 16 * v);
        for (int f = 0; f < kFilters; ++f) {
          const __m512 wf = _mm512_set1_ps(value[k * kFilters + f]);
          for (int v = 0; v < kVectors; ++v) acc[f][v] = _mm512_fmadd_ps(wf, x[v], acc[f][v]);
        }
      }
      for (int f = 0; f < kFilters && r * kFilters + f < m1; ++f) {
        float* sums = flat + (r * kFilters + f - m0) * p.flat_size() + t * ShiftedPlanes::kTile;
        for (int v = 0; v < kVectors; ++v) _mm512_storeu_ps(sums + 16 * v, acc[f][v]);
      }
    }
  }
}

}  // namespace sinter::detail
