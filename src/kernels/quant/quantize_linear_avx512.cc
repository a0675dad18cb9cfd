// The AVX-512 tier of (de)quantization: 16 values a step, and the tail as one more step under a
// __mmask16 (masked loads and the narrowing masked stores never touch bytes past the run), so
// every element goes through the same instructions as in the AVX2 tier: a true division,
// round-half-even, the zero point added in float, max then min, a conversion.
#include <immintrin.h>

#include <type_traits>

#include "kernels/eltwise/vec_math_avx512.h"
#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels::detail {

namespace {
using avx512::tail_mask;

// Sixteen int32 values already inside the 8-bit range, narrowed and stored under a mask.
template <class Q>
void store16(Q* y, __mmask16 m, __m512i v) {
  if constexpr (std::is_same_v<Q, int8_t>) {
    _mm512_mask_cvtsepi32_storeu_epi8(y, m, v);
  } else {
    _mm512_mask_cvtusepi32_storeu_epi8(y, m, v);
  }
}

template <class Q>
void quantize_run(const float* x, Q* y, int64_t n, float scale, int32_t zero_point,
                  IntRange range) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 z = _mm512_set1_ps(static_cast<float>(zero_point));
  const __m512 lo = _mm512_set1_ps(static_cast<float>(range.lo));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(range.hi));
  auto step = [&](__m512 v) {
    v = _mm512_div_ps(v, s);
    v = _mm512_add_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
    // max(v, lo) returns lo when v is NaN: the scalar quantize_value matches this order.
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    return _mm512_cvtps_epi32(v);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) store16(y + i, 0xFFFF, step(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    store16(y + i, m, step(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

// Sixteen values (those under m) widened to int32.
template <class Q>
__m512i load16_as_int32(const Q* x, __mmask16 m) {
  if constexpr (std::is_same_v<Q, int32_t>) {
    return _mm512_maskz_loadu_epi32(m, x);
  } else if constexpr (std::is_same_v<Q, int8_t>) {
    return _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x));
  } else {
    return _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x));
  }
}

template <class Q>
void dequantize_run(const Q* x, float* y, int64_t n, float scale, int32_t zero_point) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512i z = _mm512_set1_epi32(zero_point);
  // The subtraction wraps, as dequantize_value's does.
  auto step = [&](__m512i q) {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, z)), s);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, step(load16_as_int32(x + i, 0xFFFF)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, step(load16_as_int32(x + i, m)));
  }
}
}  // namespace

const QuantizeKernels& quantize_kernels_avx512() {
  // constinit: the table is data, so asking for it runs no AVX-512 code on any CPU.
  static constinit const QuantizeKernels k{quantize_run<int8_t>, quantize_run<uint8_t>,
                                           dequantize_run<int8_t>, dequantize_run<uint8_t>,
                                           dequantize_run<int32_t>};
  return k;
}

}  // namespace sinter::kernels::detail
