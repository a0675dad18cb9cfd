#pragma once
// The AVX-512 requantization of 16 lanes of float sums into u8, shared by the integer kernels of
// the AVX-512 tier (qgemm_avx512.cc, sparse/qpattern_conv2d_avx512.cc): requantize_value's end
// (qgemm.h) on vectors, and SINTER_VNNI_TARGET, the target those kernels' functions carry. Include
// only from files built with the AVX-512 tier's flags.
#include <immintrin.h>

#include <cstdint>

#include "kernels/qgemm/qgemm.h"

// The tier's files are built without -mavx512vnni: its functions carry their own target.
#ifndef SINTER_VNNI_TARGET
#define SINTER_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#endif

namespace sinter::kernels::detail {

// The requantizations' common end on 16 lanes: the residual's fused multiply-add, clamp, round to
// nearest even (the default MXCSR mode of vcvtps2dq), add the zero point, store the low bytes.
class Requantizer {
 public:
  SINTER_VNNI_TARGET explicit Requantizer(const QRequant& q)
      : lo_(_mm512_set1_ps(static_cast<float>(q.lo - q.zero_point))),
        hi_(_mm512_set1_ps(static_cast<float>(q.hi - q.zero_point))),
        residual_multiplier_(_mm512_set1_ps(q.residual_multiplier)),
        zero_point_(_mm512_set1_epi32(q.zero_point)),
        residual_zero_point_(_mm512_set1_epi32(q.residual_zero_point)) {}

  // residual: the 16 residual bytes of these lanes, or null.
  SINTER_VNNI_TARGET void store(__m512 v, const uint8_t* residual, uint8_t* y) const {
    if (residual) {
      const __m512i r =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(residual)));
      v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(r, residual_zero_point_)),
                          residual_multiplier_, v);
    }
    v = _mm512_min_ps(_mm512_max_ps(v, lo_), hi_);  // operand order: a NaN becomes lo, as in C++
    const __m512i out = _mm512_add_epi32(_mm512_cvtps_epi32(v), zero_point_);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y), _mm512_cvtepi32_epi8(out));
  }

 private:
  __m512 lo_, hi_, residual_multiplier_;
  __m512i zero_point_, residual_zero_point_;
};

}  // namespace sinter::kernels::detail
