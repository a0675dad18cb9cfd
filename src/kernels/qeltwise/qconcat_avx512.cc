// The AVX-512 tier of the concatenation's requantization: 16 bytes a step (a masked tail), the
// portable tier's operations in its order.
#include <immintrin.h>

#include "kernels/qeltwise/qconcat.h"

namespace sinter::kernels::detail {

namespace {
void requant(const uint8_t* x, int64_t n, const ByteRequant& r, uint8_t* y) {
  const __m512 m = _mm512_set1_ps(r.multiplier);
  const __m512i zx = _mm512_set1_epi32(r.x_zero_point), zy = _mm512_set1_epi32(r.y_zero_point);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(-r.y_zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(255 - r.y_zero_point));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k =
        n - i >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, x + i));
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, zx)), m);
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    _mm_mask_storeu_epi8(y + i, k,
                         _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zy)));
  }
}
}  // namespace

const QConcatKernels& qconcat_kernels_avx512() {
  static const QConcatKernels k{requant};
  return k;
}

}  // namespace sinter::kernels::detail
