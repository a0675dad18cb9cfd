#pragma once
// vec_math_avx2.h on 16 lanes, for AVX-512 translation units (include only from *_avx512.cc).
// The same range reductions and polynomials, coefficient for coefficient, so that the AVX-512
// tier rounds like the AVX2 one lane for lane. Tails use __mmask16 masked loads and stores, which
// (unlike AVX2's vmaskmovps) are fast on every AVX-512 CPU and never fault on masked-off lanes.
//
// Everything here lives in namespace avx512, and AVX-512 files include no avx2 header: an inline
// function compiled with AVX-512 flags must never share a name with one a lower tier compiles, or
// the linker could keep the AVX-512 copy for both.
#include <immintrin.h>

#include <cstdint>

namespace sinter::kernels::avx512 {

inline __m512 fmadd(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }

// exp(x), as avx2::exp_ps: Cody-Waite reduction by ln2, the Cephes polynomial, 2^n applied in
// two halves (denormal results keep their precision, overflow gives +inf), NaN passed through.
inline __m512 exp_ps(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-104.0f);
  const __m512 hi = _mm512_set1_ps(89.0f);
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), xc);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = fmadd(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = fmadd(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = fmadd(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = fmadd(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = fmadd(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = fmadd(p, _mm512_mul_ps(r, r), r);
  p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
  __m512i ni = _mm512_cvtps_epi32(n);
  __m512i n1 = _mm512_srai_epi32(ni, 1);
  __m512i n2 = _mm512_sub_epi32(ni, n1);
  const __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
  __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
  // The clamps above replace NaN by a bound; put it back.
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

// 1 / (1 + exp(-x)) with an exact division, as avx2::sigmoid_ps.
inline __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

// tanh, as avx2::tanh_ps: the Cephes odd polynomial below |x| = 0.625, 1 - 2/(exp(2|x|) + 1)
// with the sign restored above.
inline __m512 tanh_ps(__m512 x) {
  const __m512 sign_mask = _mm512_set1_ps(-0.0f);
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 ax = _mm512_andnot_ps(sign_mask, x);
  __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = fmadd(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = fmadd(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = fmadd(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = fmadd(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  __m512 small = fmadd(_mm512_mul_ps(p, z), x, x);
  __m512 e = exp_ps(_mm512_add_ps(ax, ax));
  __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  large = _mm512_or_ps(large, _mm512_and_ps(x, sign_mask));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ), large,
                              small);
}

// erf, as avx2::erf_ps: x * P(x^2) for |x| <= 1, 1 - exp(-x^2) * Q(|x|) up to 3.925, +-1 beyond.
inline __m512 erf_ps(__m512 x) {
  const __m512 sign_mask = _mm512_set1_ps(-0.0f);
  const __m512 one = _mm512_set1_ps(1.0f);
  // min(c, ax) keeps NaN (min_ps returns its second operand when either is NaN).
  __m512 ax = _mm512_min_ps(_mm512_set1_ps(3.925f), _mm512_andnot_ps(sign_mask, x));
  __m512 u = _mm512_mul_ps(ax, ax);
  __m512 p = _mm512_set1_ps(7.882497121e-05f);
  p = fmadd(p, u, _mm512_set1_ps(-8.018854996e-04f));
  p = fmadd(p, u, _mm512_set1_ps(5.189311943e-03f));
  p = fmadd(p, u, _mm512_set1_ps(-2.685432880e-02f));
  p = fmadd(p, u, _mm512_set1_ps(1.128359746e-01f));
  p = fmadd(p, u, _mm512_set1_ps(-3.761262690e-01f));
  p = fmadd(p, u, _mm512_set1_ps(1.128379166e+00f));
  __m512 small = _mm512_mul_ps(ax, p);

  __m512 s = _mm512_mul_ps(_mm512_sub_ps(ax, _mm512_set1_ps(2.4625f)),
                           _mm512_set1_ps(0.6837606837606838f));
  __m512 q = _mm512_set1_ps(8.171202479e-05f);
  q = fmadd(q, s, _mm512_set1_ps(-2.120560830e-04f));
  q = fmadd(q, s, _mm512_set1_ps(3.315631907e-04f));
  q = fmadd(q, s, _mm512_set1_ps(-8.387693804e-04f));
  q = fmadd(q, s, _mm512_set1_ps(2.240644185e-03f));
  q = fmadd(q, s, _mm512_set1_ps(-5.272197423e-03f));
  q = fmadd(q, s, _mm512_set1_ps(1.193227553e-02f));
  q = fmadd(q, s, _mm512_set1_ps(-2.621442720e-02f));
  q = fmadd(q, s, _mm512_set1_ps(5.531117469e-02f));
  q = fmadd(q, s, _mm512_set1_ps(-1.115188396e-01f));
  q = fmadd(q, s, _mm512_set1_ps(2.136298802e-01f));
  __m512 u_err = _mm512_fmsub_ps(ax, ax, u);  // exact: ax*ax - u
  __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), u));
  e = _mm512_fnmadd_ps(e, u_err, e);  // exp(-(u + u_err)) ~= exp(-u) * (1 - u_err)
  __m512 large = _mm512_fnmadd_ps(e, q, one);

  __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, one, _CMP_LE_OQ), large, small);
  return _mm512_or_ps(r, _mm512_and_ps(x, sign_mask));
}

// Horizontal reductions in a fixed order: the two 256-bit halves first, then as avx2's.
inline float hsum_ps(__m512 v) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                           _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax_ps(__m512 v) {
  __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v),
                           _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The first n (0..16) lanes.
inline __mmask16 tail_mask(int64_t n) {
  return static_cast<__mmask16>((uint32_t{1} << static_cast<uint32_t>(n)) - 1u);
}

}  // namespace sinter::kernels::avx512
