// The AVX2 tier of the quantized add: 8 elements a step (the tail through a zero-padded copy), the
// portable tier's operations in its order (multiply, fused multiply-add, clamp, round to nearest
// even).
#include <immintrin.h>

#include <cstring>

#include "kernels/integer/round_to_u8.h"
#include "kernels/qeltwise/qadd.h"

namespace sinter::kernels::detail {

namespace {
struct Add8 {
  __m256 ma, mb, lo, hi;
  __m256i za, zb, zy;

  explicit Add8(const QAddQuant& q)
      : ma(_mm256_set1_ps(requant_ratio(q.a_scale, q.y_scale))),
        mb(_mm256_set1_ps(requant_ratio(q.b_scale, q.y_scale))),
        lo(_mm256_set1_ps(static_cast<float>(q.y_min - q.y_zero_point))),
        hi(_mm256_set1_ps(static_cast<float>(q.y_max - q.y_zero_point))),
        za(_mm256_set1_epi32(q.a_zero_point)),
        zb(_mm256_set1_epi32(q.b_zero_point)),
        zy(_mm256_set1_epi32(q.y_zero_point)) {}

  // Reads and writes 8 bytes at each pointer.
  void operator()(const uint8_t* a, const uint8_t* b, uint8_t* y) const {
    const __m256i av = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a)));
    const __m256i bv = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b)));
    const __m256 va = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(av, za)), ma);
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(bv, zb)), mb, va);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zy);  // within [0, 255]
    const __m128i words =
        _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y), _mm_packus_epi16(words, words));
  }
};

void add(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y) {
  const Add8 add8(q);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) add8(a + i, b + i, y + i);
  if (i < n) {
    const auto left = static_cast<size_t>(n - i);
    uint8_t at[8] = {}, bt[8] = {}, yt[8];
    std::memcpy(at, a + i, left);
    std::memcpy(bt, b + i, left);
    add8(at, bt, yt);
    std::memcpy(y + i, yt, left);
  }
}
}  // namespace

const QAddKernels& qadd_kernels_avx2() {
  static const QAddKernels k{add};
  return k;
}

}  // namespace sinter::kernels::detail
