#pragma once
// Vectorized transcendental functions for AVX2+FMA translation units (include only from *_avx2.cc).
// Each is a range reduction plus a short polynomial, accurate to about 2 ulp over the float range
// (the tests check relative error <= 1e-6 against the std:: functions). NaN inputs give NaN.
#include <immintrin.h>

#include <cstdint>

namespace sinter::kernels::avx2 {

inline __m256 fmadd(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }

// exp(x): x = n*ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) by the Cephes
// polynomial, then scaling by 2^n in two halves so that results in the denormal range keep their
// precision and results past FLT_MAX become +inf.
inline __m256 exp_ps(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-104.0f);  // exp(-104) rounds to 0
  const __m256 hi = _mm256_set1_ps(89.0f);    // exp(89) overflows
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = fmadd(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = fmadd(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = fmadd(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = fmadd(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = fmadd(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = fmadd(p, _mm256_mul_ps(r, r), r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1);
  __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  // The clamps above replace NaN by a bound; put it back.
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// 1 / (1 + exp(-x)), with an exact division so that it matches Activation::apply closely.
inline __m256 sigmoid_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

// tanh: the Cephes odd polynomial for |x| < 0.625 (where 1 - 2/(e^2x + 1) would cancel), and
// 1 - 2/(exp(2|x|) + 1) with the sign restored elsewhere; large |x| saturates to exactly +-1.
inline __m256 tanh_ps(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 ax = _mm256_andnot_ps(sign_mask, x);
  __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = fmadd(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = fmadd(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = fmadd(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = fmadd(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  __m256 small = fmadd(_mm256_mul_ps(p, z), x, x);
  __m256 e = exp_ps(_mm256_add_ps(ax, ax));
  __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  large = _mm256_or_ps(large, _mm256_and_ps(x, sign_mask));
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

// erf: x * P(x^2) for |x| <= 1; 1 - exp(-x^2) * Q(|x|) for 1 < |x| < 3.925, where Q fits
// erfc(x) * exp(x^2) (both Chebyshev fits, relative error below 4e-8 before rounding). exp(-x^2)
// takes the rounding error of x^2 into account, which matters near |x| = 4. Beyond 3.925 erf
// rounds to +-1.
inline __m256 erf_ps(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  // min(c, ax) keeps NaN (min_ps returns its second operand when either is NaN).
  __m256 ax = _mm256_min_ps(_mm256_set1_ps(3.925f), _mm256_andnot_ps(sign_mask, x));
  __m256 u = _mm256_mul_ps(ax, ax);
  __m256 p = _mm256_set1_ps(7.882497121e-05f);
  p = fmadd(p, u, _mm256_set1_ps(-8.018854996e-04f));
  p = fmadd(p, u, _mm256_set1_ps(5.189311943e-03f));
  p = fmadd(p, u, _mm256_set1_ps(-2.685432880e-02f));
  p = fmadd(p, u, _mm256_set1_ps(1.128359746e-01f));
  p = fmadd(p, u, _mm256_set1_ps(-3.761262690e-01f));
  p = fmadd(p, u, _mm256_set1_ps(1.128379166e+00f));
  __m256 small = _mm256_mul_ps(ax, p);

  __m256 s = _mm256_mul_ps(_mm256_sub_ps(ax, _mm256_set1_ps(2.4625f)),
                           _mm256_set1_ps(0.6837606837606838f));
  __m256 q = _mm256_set1_ps(8.171202479e-05f);
  q = fmadd(q, s, _mm256_set1_ps(-2.120560830e-04f));
  q = fmadd(q, s, _mm256_set1_ps(3.315631907e-04f));
  q = fmadd(q, s, _mm256_set1_ps(-8.387693804e-04f));
  q = fmadd(q, s, _mm256_set1_ps(2.240644185e-03f));
  q = fmadd(q, s, _mm256_set1_ps(-5.272197423e-03f));
  q = fmadd(q, s, _mm256_set1_ps(1.193227553e-02f));
  q = fmadd(q, s, _mm256_set1_ps(-2.621442720e-02f));
  q = fmadd(q, s, _mm256_set1_ps(5.531117469e-02f));
  q = fmadd(q, s, _mm256_set1_ps(-1.115188396e-01f));
  q = fmadd(q, s, _mm256_set1_ps(2.136298802e-01f));
  __m256 u_err = _mm256_fmsub_ps(ax, ax, u);  // exact: ax*ax - u
  __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), u));
  e = _mm256_fnmadd_ps(e, u_err, e);  // exp(-(u + u_err)) ~= exp(-u) * (1 - u_err)
  __m256 large = _mm256_fnmadd_ps(e, q, one);

  __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, one, _CMP_LE_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, sign_mask));
}

// Horizontal reductions in a fixed order (deterministic for a given vector length).
inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax_ps(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane mask selecting the first n (0..8) lanes, for maskload/maskstore of row tails.
inline __m256i tail_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

// Partial-vector load/store through a stack buffer: on AMD Zen vmaskmovps stores are
// microcoded and slow, which shows on rows of 7 or 14 floats.
inline __m256 load_partial(const float* p, int64_t n) {
  alignas(32) float tmp[8] = {};
  for (int64_t i = 0; i < n; ++i) tmp[i] = p[i];
  return _mm256_load_ps(tmp);
}
inline void store_partial(float* p, __m256 v, int64_t n) {
  alignas(32) float tmp[8];
  _mm256_store_ps(tmp, v);
  for (int64_t i = 0; i < n; ++i) p[i] = tmp[i];
}

}  // namespace sinter::kernels::avx2
