// The AVX-512 tier of the magnitude passes: 16 magnitudes per compare into a mask; the kept
// values or positions packed with a register compress and stored whole at the write position
// (which never passes the read position, so out may be x), since a compress straight to memory
// is slow on some cores; sums converted to double, four chains of eight.
#include <immintrin.h>

#include <bit>
#include <cmath>

#include "kernels/select/magnitude_passes.h"

namespace sinter::kernels::detail {

namespace {

__m512d low_half(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
__m512d high_half(__m512 v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }

double sum_of_magnitudes_avx512(const float* x, int64_t n) {
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    const __m512 v1 = _mm512_abs_ps(_mm512_loadu_ps(x + i + 16));
    a0 = _mm512_add_pd(a0, low_half(v0));
    a1 = _mm512_add_pd(a1, high_half(v0));
    a2 = _mm512_add_pd(a2, low_half(v1));
    a3 = _mm512_add_pd(a3, high_half(v1));
  }
  double sum = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
  for (; i < n; ++i) sum += std::fabs(x[i]);
  return sum;
}

ExcessSums excess_sums_avx512(const float* m, int64_t n, double base) {
  const __m512d b = _mm512_set1_pd(base);
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, q0 = s0, q1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(m + i);
    const __m512d y0 = _mm512_sub_pd(low_half(v), b), y1 = _mm512_sub_pd(high_half(v), b);
    s0 = _mm512_add_pd(s0, y0);
    s1 = _mm512_add_pd(s1, y1);
    q0 = _mm512_fmadd_pd(y0, y0, q0);
    q1 = _mm512_fmadd_pd(y1, y1, q1);
  }
  ExcessSums s{_mm512_reduce_add_pd(_mm512_add_pd(s0, s1)),
               _mm512_reduce_add_pd(_mm512_add_pd(q0, q1))};
  for (; i < n; ++i) {
    const double y = m[i] - base;
    s.sum += y;
    s.squares += y * y;
  }
  return s;
}

int64_t keep_above_avx512(const float* x, int64_t n, float t, float* out) {
  const __m512 tv = _mm512_set1_ps(t);
  int64_t kept = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    const __mmask16 k = _mm512_cmp_ps_mask(v, tv, _CMP_GT_OQ);
    _mm512_storeu_ps(out + kept, _mm512_maskz_compress_ps(k, v));
    kept += std::popcount(static_cast<unsigned>(k));
  }
  for (; i < n; ++i) {
    const float v = std::fabs(x[i]);
    out[kept] = v;
    kept += v > t;
  }
  return kept;
}

int64_t count_above_avx512(const float* x, int64_t n, float t) {
  const __m512 tv = _mm512_set1_ps(t);
  int64_t count = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 k = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + i)), tv, _CMP_GT_OQ);
    count += std::popcount(static_cast<unsigned>(k));
  }
  for (; i < n; ++i) count += std::fabs(x[i]) > t;
  return count;
}

int64_t indices_above_avx512(const float* x, int64_t n, float t, uint32_t* indices) {
  const __m512 tv = _mm512_set1_ps(t);
  const __m512i step = _mm512_set1_epi32(16);
  __m512i position = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int64_t kept = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 k = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + i)), tv, _CMP_GT_OQ);
    _mm512_storeu_si512(indices + kept, _mm512_maskz_compress_epi32(k, position));
    kept += std::popcount(static_cast<unsigned>(k));
    position = _mm512_add_epi32(position, step);
  }
  for (; i < n; ++i) {
    indices[kept] = static_cast<uint32_t>(i);
    kept += std::fabs(x[i]) > t;
  }
  return kept;
}

}  // namespace

const MagnitudeKernels& magnitude_kernels_avx512() {
  static constinit const MagnitudeKernels k{sum_of_magnitudes_avx512, excess_sums_avx512,
                                            keep_above_avx512, count_above_avx512,
                                            indices_above_avx512};
  return k;
}

}  // namespace sinter::kernels::detail
