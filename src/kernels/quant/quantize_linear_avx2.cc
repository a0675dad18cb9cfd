// The AVX2 tier of (de)quantization: 8 values a step, the scalar definition for the tail.
#include <immintrin.h>

#include <type_traits>

#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels::detail {

namespace {
// Eight int32 values already inside the 8-bit range, narrowed and stored as 8 bytes.
template <class Q>
void store8(__m256i v, Q* y) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i b = std::is_same_v<Q, int8_t> ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(y), b);
}

template <class Q>
void quantize_run(const float* x, Q* y, int64_t n, float scale, int32_t zero_point,
                  IntRange range) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 z = _mm256_set1_ps(static_cast<float>(zero_point));
  const __m256 lo = _mm256_set1_ps(static_cast<float>(range.lo));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(range.hi));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
    v = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
    // max(v, lo) returns lo when v is NaN: the scalar quantize_value matches this order.
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    store8(_mm256_cvtps_epi32(v), y + i);
  }
  for (; i < n; ++i) y[i] = static_cast<Q>(quantize_value(x[i], scale, zero_point, range));
}

template <class Q>
__m256i load8_as_int32(const Q* x) {
  if constexpr (std::is_same_v<Q, int32_t>) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  } else {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x));
    return std::is_same_v<Q, int8_t> ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
  }
}

template <class Q>
void dequantize_run(const Q* x, float* y, int64_t n, float scale, int32_t zero_point) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zero_point);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i d = _mm256_sub_epi32(load8_as_int32(x + i), z);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(d), s));
  }
  for (; i < n; ++i) y[i] = dequantize_value(x[i], scale, zero_point);
}

void quantize_s8(const float* x, int8_t* y, int64_t n, float scale, int32_t zero_point,
                 IntRange range) {
  quantize_run(x, y, n, scale, zero_point, range);
}
void quantize_u8(const float* x, uint8_t* y, int64_t n, float scale, int32_t zero_point,
                 IntRange range) {
  quantize_run(x, y, n, scale, zero_point, range);
}
void dequantize_s8(const int8_t* x, float* y, int64_t n, float scale, int32_t zero_point) {
  dequantize_run(x, y, n, scale, zero_point);
}
void dequantize_u8(const uint8_t* x, float* y, int64_t n, float scale, int32_t zero_point) {
  dequantize_run(x, y, n, scale, zero_point);
}
void dequantize_s32(const int32_t* x, float* y, int64_t n, float scale, int32_t zero_point) {
  dequantize_run(x, y, n, scale, zero_point);
}

}  // namespace

const QuantizeKernels& quantize_kernels_avx2() {
  static constinit const QuantizeKernels k{quantize_s8, quantize_u8, dequantize_s8, dequantize_u8,
                                           dequantize_s32};
  return k;
}

}  // namespace sinter::kernels::detail
