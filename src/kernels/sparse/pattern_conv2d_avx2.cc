// The pattern convolution's tile loop: a tile of 64 flat outputs in 8 accumulators, 4 broadcast
// weights and 32 shifted loads per kept kernel. Filters go in blocks and, for each, the channels
// in blocks whose tile rows stay in L1; a filter's sums wait in `flat` between channel blocks.
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {
constexpr int kVectors = ShiftedPlanes::kTile / 8;
}

void pattern_conv2d_tiles_avx2(const ShiftedPlanes& p, const PatternWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1) {
  const PatternKernel* kernels = w.kernels.data();
  const int64_t blocks = w.channel_blocks;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * ShiftedPlanes::kTile;
    for (int64_t mb = m0; mb < m1; mb += kPatternFilterBlock) {
      const int64_t me = std::min(m1, mb + kPatternFilterBlock);
      for (int64_t b = b0; b < b1; ++b) {
        for (int64_t m = mb; m < me; ++m) {
          const int32_t k0 = w.block_begin[m * blocks + b], k1 = w.block_begin[m * blocks + b + 1];
          if (k0 == k1 && b > b0) continue;
          float* sums = flat + (m - m0) * p.flat_size() + t * ShiftedPlanes::kTile;
          __m256 acc[kVectors];
          for (int v = 0; v < kVectors; ++v)
            acc[v] = b == b0 ? _mm256_setzero_ps() : _mm256_loadu_ps(sums + 8 * v);
          for (int32_t k = k0; k < k1; ++k) {
            // One pointer per tap, so every load is a pointer plus a constant; the empty asm
            // keeps GCC from folding them back into base + index forms whose indexes it then
            // spills.
            const int32_t* o = kernels[k].offset;
            const float *s0 = base + o[0], *s1 = base + o[1], *s2 = base + o[2], *s3 = base + o[3];
            asm("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3));
            const float* wk = kernels[k].weight;
            const __m256 w0 = _mm256_broadcast_ss(wk), w1 = _mm256_broadcast_ss(wk + 1);
            for (int v = 0; v < kVectors; ++v) {
              acc[v] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(s0 + 8 * v), acc[v]);
              acc[v] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(s1 + 8 * v), acc[v]);
            }
            const __m256 w2 = _mm256_broadcast_ss(wk + 2), w3 = _mm256_broadcast_ss(wk + 3);
            for (int v = 0; v < kVectors; ++v) {
              acc[v] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(s2 + 8 * v), acc[v]);
              acc[v] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(s3 + 8 * v), acc[v]);
            }
          }
          for (int v = 0; v < kVectors; ++v) _mm256_storeu_ps(sums + 8 * v, acc[v]);
        }
      }
    }
  }
}

}  // namespace sinter::detail
