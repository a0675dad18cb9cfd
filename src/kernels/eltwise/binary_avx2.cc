// The AVX2 tier of the binary inner loops: 8 lanes, unrolled by 2, masked tails.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/binary.h"
#include "kernels/eltwise/vec_math_avx2.h"

namespace sinter::kernels::detail {

namespace {
using avx2::tail_mask;

// Vector forms of binary_apply. max_ps/min_ps return their second operand when either is NaN,
// so the blend restores a NaN from a, which numpy semantics (and binary_apply) keep.
template <BinaryOp Op>
inline __m256 vop(__m256 a, __m256 b) {
  if constexpr (Op == BinaryOp::kAdd) return _mm256_add_ps(a, b);
  if constexpr (Op == BinaryOp::kSub) return _mm256_sub_ps(a, b);
  if constexpr (Op == BinaryOp::kMul) return _mm256_mul_ps(a, b);
  if constexpr (Op == BinaryOp::kDiv) return _mm256_div_ps(a, b);
  if constexpr (Op == BinaryOp::kMax)
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
  if constexpr (Op == BinaryOp::kMin)
    return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

// LA / LB: how to fetch 8 lanes of a and b at offset i (a pointer load or a broadcast value).
template <BinaryOp Op, class LA, class LB>
void loop(const LA& la, const LB& lb, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 r0 = vop<Op>(la(i, nullptr), lb(i, nullptr));
    __m256 r1 = vop<Op>(la(i + 8, nullptr), lb(i + 8, nullptr));
    _mm256_storeu_ps(y + i, r0);
    _mm256_storeu_ps(y + i + 8, r1);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, vop<Op>(la(i, nullptr), lb(i, nullptr)));
  if (i < n) {
    __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, vop<Op>(la(i, &m), lb(i, &m)));
  }
}

struct Ptr {
  const float* p;
  __m256 operator()(int64_t i, const __m256i* m) const {
    return m ? _mm256_maskload_ps(p + i, *m) : _mm256_loadu_ps(p + i);
  }
};
struct Splat {
  __m256 v;
  __m256 operator()(int64_t, const __m256i*) const { return v; }
};

template <class LA, class LB>
void dispatch(BinaryOp op, const LA& la, const LB& lb, float* y, int64_t n) {
  switch (op) {
    case BinaryOp::kAdd:
      return loop<BinaryOp::kAdd>(la, lb, y, n);
    case BinaryOp::kSub:
      return loop<BinaryOp::kSub>(la, lb, y, n);
    case BinaryOp::kMul:
      return loop<BinaryOp::kMul>(la, lb, y, n);
    case BinaryOp::kDiv:
      return loop<BinaryOp::kDiv>(la, lb, y, n);
    case BinaryOp::kMax:
      return loop<BinaryOp::kMax>(la, lb, y, n);
    case BinaryOp::kMin:
      return loop<BinaryOp::kMin>(la, lb, y, n);
    case BinaryOp::kPow:
      break;  // handled by the callers
  }
}

// Pow stays scalar but for a square (an exported LayerNorm's variance), a multiply: std::pow's
// special cases are many, and other exponents are rare.
void vv(BinaryOp op, const float* a, const float* b, float* y, int64_t n) {
  if (op == BinaryOp::kPow) {
    for (int64_t i = 0; i < n; ++i) y[i] = pow_apply(a[i], b[i]);
    return;
  }
  dispatch(op, Ptr{a}, Ptr{b}, y, n);
}

void vs(BinaryOp op, const float* a, float b, float* y, int64_t n) {
  if (op == BinaryOp::kPow && b == 2.0f) return dispatch(BinaryOp::kMul, Ptr{a}, Ptr{a}, y, n);
  if (op == BinaryOp::kPow) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::pow(a[i], b);
    return;
  }
  dispatch(op, Ptr{a}, Splat{_mm256_set1_ps(b)}, y, n);
}

void sv(BinaryOp op, float a, const float* b, float* y, int64_t n) {
  if (op == BinaryOp::kPow) {
    for (int64_t i = 0; i < n; ++i) y[i] = pow_apply(a, b[i]);
    return;
  }
  dispatch(op, Splat{_mm256_set1_ps(a)}, Ptr{b}, y, n);
}
}  // namespace

const BinaryKernels& binary_kernels_avx2() {
  static constinit const BinaryKernels k{vv, vs, sv};
  return k;
}

}  // namespace sinter::kernels::detail
