// AVX2 tiles of the tap-rows convolution: 12 ymm accumulators (6 channels x 16 pixels), each tap
// two unaligned loads of its run and six weight broadcasts.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_tap_rows_conv.h"
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {

void tap_rows_conv_avx2(const float* packed_w, int64_t rows, const TapRows& l, const float* planes,
                        int64_t pixels, float* y, int64_t ldy) {
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t* off = l.tap_offset.data();
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  // Pixel blocks outer: a block's runs (taps x 64 bytes) stay in L1 across the channel blocks.
  for (int64_t p0 = 0; p0 < pixels; p0 += 16) {
    const int n = static_cast<int>(std::min<int64_t>(16, pixels - p0));
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), lane);
    const float* base = planes + p0;
    for (int64_t r0 = 0; r0 < rows; r0 += 6) {
      const float* a = packed_w + r0 * taps;
      __m256 acc[6][2];
#pragma GCC unroll 6
      for (int i = 0; i < 6; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
      for (int64_t t = 0; t < taps; ++t, a += 6) {
        const float* b = base + off[t];
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < 6; ++i) {
          const __m256 w = _mm256_broadcast_ss(a + i);
          acc[i][0] = _mm256_fmadd_ps(w, b0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps(w, b1, acc[i][1]);
        }
      }
      const int64_t mr = std::min<int64_t>(6, rows - r0);
#pragma GCC unroll 6
      for (int i = 0; i < 6; ++i) {
        if (i >= mr) break;
        float* out = y + (r0 + i) * ldy + p0;
        if (n == 16) {
          _mm256_storeu_ps(out, acc[i][0]);
          _mm256_storeu_ps(out + 8, acc[i][1]);
        } else {
          _mm256_maskstore_ps(out, m0, acc[i][0]);
          _mm256_maskstore_ps(out + 8, m1, acc[i][1]);
        }
      }
    }
  }
}

}  // namespace sinter::detail
