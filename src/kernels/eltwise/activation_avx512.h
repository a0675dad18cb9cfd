#pragma once
// Activation::apply on 16 lanes, for AVX-512 epilogues (include only from *_avx512.cc): the
// AVX-512 twin of activation_avx2.h, with the same operand orders, so every kind except sigmoid
// is bit-identical to the scalar definition (NaN and signed zero included) and sigmoid rounds
// like the AVX2 tier.
#include <immintrin.h>

#include "kernels/activation.h"
#include "kernels/eltwise/vec_math_avx512.h"

namespace sinter::kernels::avx512 {

class VecActivation {
 public:
  explicit VecActivation(const Activation& a)
      : kind_(a.kind), alpha_(_mm512_set1_ps(a.alpha)), beta_(_mm512_set1_ps(a.beta)) {}

  ActivationKind kind() const { return kind_; }

  __m512 operator()(__m512 x) const {
    switch (kind_) {
      case ActivationKind::kNone:
        return x;
      case ActivationKind::kRelu:
        return apply<ActivationKind::kRelu>(x);
      case ActivationKind::kClip:
        return apply<ActivationKind::kClip>(x);
      case ActivationKind::kSigmoid:
        return apply<ActivationKind::kSigmoid>(x);
      case ActivationKind::kHardSigmoid:
        return apply<ActivationKind::kHardSigmoid>(x);
      case ActivationKind::kHardSwish:
        return apply<ActivationKind::kHardSwish>(x);
      case ActivationKind::kLeakyRelu:
        return apply<ActivationKind::kLeakyRelu>(x);
    }
    return x;
  }

  template <ActivationKind K>
  __m512 apply(__m512 x) const {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 one = _mm512_set1_ps(1.0f);
    if constexpr (K == ActivationKind::kNone) {
      return x;
    } else if constexpr (K == ActivationKind::kRelu) {
      return _mm512_max_ps(x, zero);  // x > 0 ? x : 0
    } else if constexpr (K == ActivationKind::kClip) {
      return _mm512_min_ps(beta_, _mm512_max_ps(alpha_, x));  // std::min(std::max(x, lo), hi)
    } else if constexpr (K == ActivationKind::kSigmoid) {
      return sigmoid_ps(x);
    } else if constexpr (K == ActivationKind::kHardSigmoid) {
      // mul then add, not fma, to round like the scalar alpha * x + beta; the empty asm keeps
      // GCC from contracting the two.
      __m512 t = _mm512_mul_ps(alpha_, x);
      asm("" : "+v"(t));
      t = _mm512_add_ps(t, beta_);
      return _mm512_min_ps(one, _mm512_max_ps(zero, t));
    } else if constexpr (K == ActivationKind::kHardSwish) {
      __m512 t = _mm512_add_ps(_mm512_div_ps(x, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(x, _mm512_min_ps(one, _mm512_max_ps(zero, t)));
    } else {
      static_assert(K == ActivationKind::kLeakyRelu);
      __m512 neg = _mm512_mul_ps(alpha_, x);
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GE_OQ), neg, x);
    }
  }

 private:
  ActivationKind kind_;
  __m512 alpha_;
  __m512 beta_;
};

}  // namespace sinter::kernels::avx512
