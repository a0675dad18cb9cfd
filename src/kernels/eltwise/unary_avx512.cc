// The AVX-512 tier of the unary kernels: unary_avx2.cc on 16 lanes, with the same polynomials
// (vec_math_avx512.h) and a __mmask16 tail, so results never depend on n % 16.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/activation_avx512.h"
#include "kernels/eltwise/unary.h"
#include "kernels/eltwise/vec_math_avx512.h"

namespace sinter::kernels::detail {

namespace {
using namespace avx512;

// Runs f over x in vectors of 16, unrolled by 4; the tail is one masked load and store.
template <class F>
void map(const float* x, float* y, int64_t n, const F& f) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a = f(_mm512_loadu_ps(x + i));
    __m512 b = f(_mm512_loadu_ps(x + i + 16));
    __m512 c = f(_mm512_loadu_ps(x + i + 32));
    __m512 d = f(_mm512_loadu_ps(x + i + 48));
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
    _mm512_storeu_ps(y + i + 32, c);
    _mm512_storeu_ps(y + i + 48, d);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

template <ActivationKind K>
void map_activation(const VecActivation& act, const float* x, float* y, int64_t n) {
  map(x, y, n, [&](__m512 v) { return act.apply<K>(v); });
}

void activation_range(const Activation& a, const float* x, float* y, int64_t n) {
  VecActivation act(a);
  switch (a.kind) {
    case ActivationKind::kNone:
      if (x != y) map(x, y, n, [](__m512 v) { return v; });
      return;
    case ActivationKind::kRelu:
      return map_activation<ActivationKind::kRelu>(act, x, y, n);
    case ActivationKind::kClip:
      return map_activation<ActivationKind::kClip>(act, x, y, n);
    case ActivationKind::kSigmoid:
      return map_activation<ActivationKind::kSigmoid>(act, x, y, n);
    case ActivationKind::kHardSigmoid:
      return map_activation<ActivationKind::kHardSigmoid>(act, x, y, n);
    case ActivationKind::kHardSwish:
      return map_activation<ActivationKind::kHardSwish>(act, x, y, n);
    case ActivationKind::kLeakyRelu:
      return map_activation<ActivationKind::kLeakyRelu>(act, x, y, n);
  }
}

void unary_avx512(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  switch (op) {
    case UnaryOp::kRelu:
      return activation_range({ActivationKind::kRelu, 0, 0}, x, y, n);
    case UnaryOp::kClip:
      return activation_range({ActivationKind::kClip, alpha, beta}, x, y, n);
    case UnaryOp::kSigmoid:
      return activation_range({ActivationKind::kSigmoid, 0, 0}, x, y, n);
    case UnaryOp::kHardSigmoid:
      return activation_range({ActivationKind::kHardSigmoid, alpha, beta}, x, y, n);
    case UnaryOp::kHardSwish:
      return activation_range({ActivationKind::kHardSwish, 0, 0}, x, y, n);
    case UnaryOp::kLeakyRelu:
      return activation_range({ActivationKind::kLeakyRelu, alpha, 0}, x, y, n);
    case UnaryOp::kTanh:
      return map(x, y, n, [](__m512 v) { return tanh_ps(v); });
    case UnaryOp::kErf:
      return map(x, y, n, [](__m512 v) { return erf_ps(v); });
    case UnaryOp::kExp:
      return map(x, y, n, [](__m512 v) { return exp_ps(v); });
    case UnaryOp::kSqrt:
      return map(x, y, n, [](__m512 v) { return _mm512_sqrt_ps(v); });
    case UnaryOp::kNeg:
      return map(x, y, n, [&](__m512 v) { return _mm512_xor_ps(v, sign); });
    case UnaryOp::kAbs:
      return map(x, y, n, [&](__m512 v) { return _mm512_andnot_ps(sign, v); });
    case UnaryOp::kLog:
      // As in the AVX2 tier: rare in CNNs, and libm is exact enough.
      for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
      return;
  }
}

void activation_avx512(const Activation& act, float* data, int64_t n) {
  activation_range(act, data, data, n);
}
}  // namespace

const UnaryKernels& unary_kernels_avx512() {
  // constinit: the table is data, so asking for it runs no AVX-512 code on any CPU.
  static constinit const UnaryKernels k{unary_avx512, activation_avx512};
  return k;
}

}  // namespace sinter::kernels::detail
