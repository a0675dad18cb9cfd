// The AVX-512 tier of the quantized add: 16 elements a step (a masked tail), the portable
// tier's operations in its order (multiply, fused multiply-add, clamp, round to nearest even).
#include <immintrin.h>

#include "kernels/integer/round_to_u8.h"
#include "kernels/qeltwise/qadd.h"

namespace sinter::kernels::detail {

namespace {
void add(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y) {
  const __m512 ma = _mm512_set1_ps(requant_ratio(q.a_scale, q.y_scale));
  const __m512 mb = _mm512_set1_ps(requant_ratio(q.b_scale, q.y_scale));
  const __m512i za = _mm512_set1_epi32(q.a_zero_point), zb = _mm512_set1_epi32(q.b_zero_point);
  const __m512i zy = _mm512_set1_epi32(q.y_zero_point);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(q.y_min - q.y_zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(q.y_max - q.y_zero_point));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m =
        n - i >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i av = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, a + i));
    const __m512i bv = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, b + i));
    const __m512 va = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(av, za)), ma);
    __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(bv, zb)), mb, va);
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    _mm_mask_storeu_epi8(y + i, m,
                         _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zy)));
  }
}
}  // namespace

const QAddKernels& qadd_kernels_avx512() {
  static const QAddKernels k{add};
  return k;
}

}  // namespace sinter::kernels::detail
