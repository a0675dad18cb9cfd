// The AVX-512 tier of the integer convolution's depthwise rows: 16 channels a vector (a masked
// tail), the window's taps as float multiply-adds (exact, see qconv2d.h), and the requantization
// of kernels/qgemm on 16 lanes.
#include <immintrin.h>

#include "kernels/qconv/qconv2d.h"

namespace sinter::kernels::detail {

namespace {
void convert_row(const uint8_t* x, int64_t n, int32_t zero_point, float* out) {
  const __m512 zp = _mm512_set1_ps(static_cast<float>(zero_point));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    _mm512_storeu_ps(out + i, _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), zp));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m128i b = _mm_maskz_loadu_epi8(m, x + i);
    _mm512_mask_storeu_ps(out + i, m,
                          _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), zp));
  }
}

void depthwise_row(const QDepthwiseRow& r) {
  const QRequant& q = *r.requant;
  const __m512 lo = _mm512_set1_ps(static_cast<float>(q.lo - q.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(q.hi - q.zero_point));
  const __m512i zero_point = _mm512_set1_epi32(q.zero_point);
  for (int64_t ow = 0; ow < r.OW; ++ow) {
    // The taps inside the image for this pixel.
    int64_t first_kw = 0, end_kw = r.KW;
    while (first_kw < r.KW && ow * r.stride_w - r.pad_left + first_kw * r.dilation_w < 0)
      ++first_kw;
    while (end_kw > first_kw && ow * r.stride_w - r.pad_left + (end_kw - 1) * r.dilation_w >= r.W)
      --end_kw;
    const int64_t iw0 = ow * r.stride_w - r.pad_left;
    for (int64_t c = 0; c < r.C; c += 16) {
      const __mmask16 m =
          r.C - c >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (r.C - c)) - 1);
      __m512 sum = _mm512_setzero_ps();
      for (int64_t kh = 0; kh < r.KH; ++kh) {
        const float* row = r.rows[kh];
        if (!row) continue;
        const float* w = r.w + kh * r.KW * r.C + c;
        for (int64_t kw = first_kw; kw < end_kw; ++kw)
          sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, row + (iw0 + kw * r.dilation_w) * r.C + c),
                                _mm512_maskz_loadu_ps(m, w + kw * r.C), sum);
      }
      const __m512i total =
          _mm512_add_epi32(_mm512_cvtps_epi32(sum), _mm512_maskz_loadu_epi32(m, q.bias + c));
      __m512 v =
          _mm512_mul_ps(_mm512_cvtepi32_ps(total), _mm512_maskz_loadu_ps(m, q.multiplier + c));
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      const __m512i out = _mm512_add_epi32(_mm512_cvtps_epi32(v), zero_point);
      _mm_mask_storeu_epi8(r.y + ow * r.C + c, m, _mm512_cvtepi32_epi8(out));
    }
  }
}
}  // namespace

const QConvKernels& qconv_kernels_avx512() {
  static const QConvKernels k{convert_row, depthwise_row};
  return k;
}

}  // namespace sinter::kernels::detail
