#pragma once
// Activation::apply on 8 lanes, for AVX2 epilogues (include only from *_avx2.cc). Every kind
// except sigmoid gives bit-identical results to the scalar definition, NaN and signed zero
// included; the operand order of min/max below is what makes that so.
#include <immintrin.h>

#include "kernels/activation.h"
#include "kernels/eltwise/vec_math_avx2.h"

namespace sinter::kernels::avx2 {

class VecActivation {
 public:
  explicit VecActivation(const Activation& a)
      : kind_(a.kind), alpha_(_mm256_set1_ps(a.alpha)), beta_(_mm256_set1_ps(a.beta)) {}

  ActivationKind kind() const { return kind_; }

  // A switch per vector costs little next to the arithmetic that produced the vector, and the
  // branch is perfectly predicted; hot loops over plain arrays use apply<K> instead.
  __m256 operator()(__m256 x) const {
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
  __m256 apply(__m256 x) const {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_set1_ps(1.0f);
    if constexpr (K == ActivationKind::kNone) {
      return x;
    } else if constexpr (K == ActivationKind::kRelu) {
      return _mm256_max_ps(x, zero);  // x > 0 ? x : 0
    } else if constexpr (K == ActivationKind::kClip) {
      return _mm256_min_ps(beta_, _mm256_max_ps(alpha_, x));  // std::min(std::max(x, lo), hi)
    } else if constexpr (K == ActivationKind::kSigmoid) {
      return sigmoid_ps(x);
    } else if constexpr (K == ActivationKind::kHardSigmoid) {
      // mul then add, not fma, to round like the scalar alpha * x + beta.
      // The empty asm keeps GCC from contracting the two into an fma.
      __m256 t = _mm256_mul_ps(alpha_, x);
      asm("" : "+x"(t));
      t = _mm256_add_ps(t, beta_);
      return _mm256_min_ps(one, _mm256_max_ps(zero, t));
    } else if constexpr (K == ActivationKind::kHardSwish) {
      __m256 t = _mm256_add_ps(_mm256_div_ps(x, _mm256_set1_ps(6.0f)), _mm256_set1_ps(0.5f));
      return _mm256_mul_ps(x, _mm256_min_ps(one, _mm256_max_ps(zero, t)));
    } else {
      static_assert(K == ActivationKind::kLeakyRelu);
      __m256 neg = _mm256_mul_ps(alpha_, x);
      return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, zero, _CMP_GE_OQ));
    }
  }

 private:
  ActivationKind kind_;
  __m256 alpha_;
  __m256 beta_;
};

}  // namespace sinter::kernels::avx2
