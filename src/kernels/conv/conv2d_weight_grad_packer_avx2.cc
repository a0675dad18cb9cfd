// AVX2 for the channels-last weight gradient: the NCHW -> channels-last transpose in 8x8 register
// blocks, and im2col for 16-wide slivers, where a sliver whose 16 taps are consecutive channels
// is two vector loads per pixel and any other (few channels, so taps of several kernel positions
// share it) is two masked gathers through the sliver's tap offsets.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_training_kernels.h"
#include "kernels/conv/conv2d_weight_grad_packer.h"

namespace sinter::detail {

void transpose_to_channels_last_avx2(const float* src, int64_t src_stride, int64_t channels,
                                     int64_t width, float* dst, int64_t dst_stride) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t c0 = 0; c0 < channels; c0 += 8) {
    const float* in = src + c0 * src_stride;
    for (int64_t w0 = 0; w0 < width; w0 += 8) {
      // The last block of a row may be narrower: masked loads, and only its columns stored.
      const int cols = static_cast<int>(std::min<int64_t>(8, width - w0));
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
      __m256 r[8], t[8], u[8];
      for (int i = 0; i < 8; ++i)
        r[i] = cols == 8 ? _mm256_loadu_ps(in + i * src_stride + w0)
                         : _mm256_maskload_ps(in + i * src_stride + w0, mask);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
      }
      // Column j of the block is lane j of every row: u[j] has columns j and j + 4.
      float* out = dst + w0 * dst_stride + c0;
      for (int j = 0; j < 4; ++j) {
        if (j < cols)
          _mm256_storeu_ps(out + j * dst_stride, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
        if (j + 4 < cols)
          _mm256_storeu_ps(out + (j + 4) * dst_stride,
                           _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
      }
    }
  }
}

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

}  // namespace sinter::detail
