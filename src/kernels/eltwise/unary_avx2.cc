// The AVX2+FMA tier of the unary kernels: 8 lanes, unrolled by 4, masked tails.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/activation_avx2.h"
#include "kernels/eltwise/unary.h"
#include "kernels/eltwise/vec_math_avx2.h"

namespace sinter::kernels::detail {

namespace {
using namespace avx2;

// Runs f over x in vectors of 8, unrolled by 4 for throughput, and handles the tail with a
// masked load/store so every element takes the same code path (results never depend on n % 8).
template <class F>
void map(const float* x, float* y, int64_t n, const F& f) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a = f(_mm256_loadu_ps(x + i));
    __m256 b = f(_mm256_loadu_ps(x + i + 8));
    __m256 c = f(_mm256_loadu_ps(x + i + 16));
    __m256 d = f(_mm256_loadu_ps(x + i + 24));
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
    _mm256_storeu_ps(y + i + 16, c);
    _mm256_storeu_ps(y + i + 24, d);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

template <ActivationKind K>
void map_activation(const VecActivation& act, const float* x, float* y, int64_t n) {
  map(x, y, n, [&](__m256 v) { return act.apply<K>(v); });
}

void activation_range(const Activation& a, const float* x, float* y, int64_t n) {
  VecActivation act(a);
  switch (a.kind) {
    case ActivationKind::kNone:
      if (x != y) map(x, y, n, [](__m256 v) { return v; });
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
void unary_avx2(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
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
      return map(x, y, n, [](__m256 v) { return tanh_ps(v); });
    case UnaryOp::kErf:
      return map(x, y, n, [](__m256 v) { return erf_ps(v); });
    case UnaryOp::kExp:
      return map(x, y, n, [](__m256 v) { return exp_ps(v); });
    case UnaryOp::kSqrt:
      return map(x, y, n, [](__m256 v) { return _mm256_sqrt_ps(v); });
    case UnaryOp::kNeg:
      return map(x, y, n, [&](__m256 v) { return _mm256_xor_ps(v, sign); });
    case UnaryOp::kAbs:
      return map(x, y, n, [&](__m256 v) { return _mm256_andnot_ps(sign, v); });
    case UnaryOp::kLog:
      // Rare in CNNs; the libm call is exact enough and not worth a polynomial here.
      for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
      return;
  }
}

void activation_avx2(const Activation& act, float* data, int64_t n) {
  activation_range(act, data, data, n);
}
}  // namespace

const UnaryKernels& unary_kernels_avx2() {
  static constinit const UnaryKernels k{unary_avx2, activation_avx2};
  return k;
}

}  // namespace sinter::kernels::detail
