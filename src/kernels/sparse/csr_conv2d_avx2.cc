// The CSR convolution's tile loop: a tile of 64 flat outputs in 8 accumulators, one broadcast
// weight and 8 shifted loads per nonzero, two nonzeros per iteration; per tile the channel blocks
// in turn, each for every filter.
#include <immintrin.h>

#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {
constexpr int kVectors = ShiftedPlanes::kTile / 8;
}

void csr_conv2d_tiles_avx2(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1) {
  const int32_t* col = w.csr.col.data();
  const float* value = w.csr.value.data();
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * ShiftedPlanes::kTile;
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t m = m0; m < m1; ++m) {
        int32_t k = w.block_begin[m * blocks + b];
        const int32_t end = w.block_begin[m * blocks + b + 1];
        if (k == end && b > b0) continue;
        float* sums = flat + (m - m0) * p.flat_size() + t * ShiftedPlanes::kTile;
        __m256 acc[kVectors];
        for (int v = 0; v < kVectors; ++v)
          acc[v] = b == b0 ? _mm256_setzero_ps() : _mm256_loadu_ps(sums + 8 * v);
        for (; k + 1 < end; k += 2) {
          const float *a = base + col[k], *c = base + col[k + 1];
          const __m256 wa = _mm256_broadcast_ss(value + k), wc = _mm256_broadcast_ss(value + k + 1);
          for (int v = 0; v < kVectors; ++v) {
            acc[v] = _mm256_fmadd_ps(wa, _mm256_loadu_ps(a + 8 * v), acc[v]);
            acc[v] = _mm256_fmadd_ps(wc, _mm256_loadu_ps(c + 8 * v), acc[v]);
          }
        }
        if (k < end) {
          const float* a = base + col[k];
          const __m256 wa = _mm256_broadcast_ss(value + k);
          for (int v = 0; v < kVectors; ++v)
            acc[v] = _mm256_fmadd_ps(wa, _mm256_loadu_ps(a + 8 * v), acc[v]);
        }
        for (int v = 0; v < kVectors; ++v) _mm256_storeu_ps(sums + 8 * v, acc[v]);
      }
  }
}

}  // namespace sinter::detail
