// The pattern convolution's tile loop: a tile of 64 flat outputs in 8 accumulators, 4 broadcast
// weights and 32 shifted loads per kept kernel.
#include <immintrin.h>

#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {
constexpr int kVectors = ShiftedPlanes::kTile / 8;
}

void pattern_conv2d_tiles_avx2(const ShiftedPlanes& p, const PatternWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1) {
  const int32_t* channel_offset = w.channel_offset.data();
  const int32_t* pattern = w.pattern.data();
  const PatternTaps* patterns = w.patterns.data();
  const float* weight = w.weight.data();
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * ShiftedPlanes::kTile;
    for (int64_t m = m0; m < m1; ++m) {
      __m256 acc[kVectors];
      for (int v = 0; v < kVectors; ++v) acc[v] = _mm256_setzero_ps();
      for (int32_t k = w.filter_begin[m]; k < w.filter_begin[m + 1]; ++k) {
        // One pointer per tap, so every load is a pointer plus a constant; the empty asm keeps
        // GCC from folding them back into base + index forms whose indexes it then spills.
        const float* src = base + channel_offset[k];
        const int32_t* o = patterns[pattern[k]].offset;
        const float *s0 = src + o[0], *s1 = src + o[1], *s2 = src + o[2], *s3 = src + o[3];
        asm("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3));
        const float* wk = weight + k * kPatternConvTaps;
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
      float* sums = flat + m * p.flat_size() + t * ShiftedPlanes::kTile;
      for (int v = 0; v < kVectors; ++v) _mm256_storeu_ps(sums + 8 * v, acc[v]);
    }
  }
}

}  // namespace sinter::detail
