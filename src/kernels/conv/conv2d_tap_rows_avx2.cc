// The tap-rows copy with AVX2: masked loads at stride 1, load + permute at stride 2, gathers
// beyond, so short rows cost no memmove/memset calls.
#include <immintrin.h>

#include "kernels/conv/conv2d_tap_rows.h"
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {
namespace {

// A function, not a namespace-scope constant: that would be set by a static initializer running
// AVX instructions at program start, on every CPU.
inline __m256i lanes() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

// 8 floats of an input row from column c0 on; columns outside [0, W) read as zero.
inline __m256 load_row8(const float* row, int64_t c0, int64_t W) {
  if (c0 >= 0 && c0 + 8 <= W) return _mm256_loadu_ps(row + c0);
  const __m256i inside =
      _mm256_and_si256(_mm256_cmpgt_epi32(lanes(), _mm256_set1_epi32(static_cast<int>(-1 - c0))),
                       _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(W - c0)), lanes()));
  return _mm256_maskload_ps(row + c0, inside);  // masked-off lanes are never read
}

// dst[ow] = row[ow*sw + iw0] for ow < OW, zero where that column is padding (or row is null).
void copy_row(const float* row, int64_t W, int64_t iw0, int64_t sw, int64_t OW, float* dst) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  for (int64_t ow = 0; ow < OW; ow += 8) {
    const int64_t c0 = ow * sw + iw0;
    __m256 v = _mm256_setzero_ps();
    if (row && sw == 1) {
      v = load_row8(row, c0, W);
    } else if (row && sw == 2) {
      const __m256 lo = _mm256_permutevar8x32_ps(load_row8(row, c0, W), even);
      const __m256 hi = _mm256_permutevar8x32_ps(load_row8(row, c0 + 8, W), even);
      v = _mm256_blend_ps(lo, hi, 0xF0);
    } else if (row) {
      const __m256i col = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(c0)),
                                           _mm256_mullo_epi32(lanes(), _mm256_set1_epi32(sw)));
      const __m256i inside =
          _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), col),
                              _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(W)), col));
      v = _mm256_mask_i32gather_ps(v, row, col, _mm256_castsi256_ps(inside), 4);
    }
    if (ow + 8 <= OW) {
      _mm256_storeu_ps(dst + ow, v);
    } else {
      _mm256_maskstore_ps(dst + ow, _mm256_cmpgt_epi32(_mm256_set1_epi32(OW - ow), lanes()), v);
    }
  }
}

}  // namespace

void copy_to_tap_rows_avx2(const Conv2dShape& s, const TapRows& l, const float* x, float* planes) {
  const int64_t OW = s.OW();
  float* dst = planes;
  for (int64_t c = 0; c < s.C / s.group; ++c)
    for (const int64_t phase : l.phases)
      for (int64_t kw = 0; kw < s.KW; ++kw)
        for (int64_t r = 0; r < l.rows; ++r, dst += OW) {
          const int64_t ih = r * s.stride_h + phase - s.pad_top;
          const float* row = ih >= 0 && ih < s.H ? x + (c * s.H + ih) * s.W : nullptr;
          copy_row(row, s.W, kw * s.dilation_w - s.pad_left, s.stride_w, OW, dst);
        }
}

}  // namespace sinter::detail
