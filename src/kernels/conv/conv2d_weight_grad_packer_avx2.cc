// AVX2 channels-last im2col for 16-wide slivers: a sliver whose 16 taps are consecutive channels
// is two vector loads per pixel; any other (few channels, so taps of several kernel positions
// share it) is two masked gathers through the sliver's tap offsets.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_weight_grad_packer.h"

namespace sinter {

void pack_channels_last_im2col_nr16_avx2(const int32_t* pixel_offset, int64_t kc,
                                         const int32_t* tap_offset, int64_t n0, int64_t nc,
                                         const float* plane, float* dst) {
  constexpr int NR = 16;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int cnt = static_cast<int>(std::min<int64_t>(NR, nc - j0));
    const int32_t* taps = tap_offset + n0 + j0;
    float* d = dst + j0 * kc;
    bool consecutive = cnt == NR;
    for (int j = 1; consecutive && j < NR; ++j) consecutive = taps[j] == taps[0] + j;
    if (consecutive) {
      const float* src = plane + taps[0];
      for (int64_t k = 0; k < kc; ++k, d += NR) {
        const float* p = src + pixel_offset[k];
        _mm256_store_ps(d, _mm256_loadu_ps(p));
        _mm256_store_ps(d + 8, _mm256_loadu_ps(p + 8));
      }
      continue;
    }
    // Lanes past the last tap read nothing and stay zero.
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt - 8), lane);
    const __m256i i0 = _mm256_maskload_epi32(taps, m0);
    const __m256i i1 = _mm256_maskload_epi32(taps + 8, m1);
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, d += NR) {
      const float* p = plane + pixel_offset[k];
      _mm256_store_ps(d, _mm256_mask_i32gather_ps(zero, p, i0, _mm256_castsi256_ps(m0), 4));
      _mm256_store_ps(d + 8, _mm256_mask_i32gather_ps(zero, p, i1, _mm256_castsi256_ps(m1), 4));
    }
  }
}

}  // namespace sinter
