// The AVX-512 tier of the binary inner loops: binary_avx2.cc on 16 lanes, unrolled by 2, with a
// __mmask16 tail. Each lane is the one IEEE operation binary_apply() does, so results are exact.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/binary.h"
#include "kernels/eltwise/vec_math_avx512.h"

namespace sinter::kernels::detail {

namespace {
using avx512::tail_mask;

// Vector forms of binary_apply. max_ps/min_ps return their second operand when either is NaN,
// so the blend restores a NaN from a, which numpy semantics (and binary_apply) keep.
template <BinaryOp Op>
inline __m512 vop(__m512 a, __m512 b) {
  if constexpr (Op == BinaryOp::kAdd) return _mm512_add_ps(a, b);
  if constexpr (Op == BinaryOp::kSub) return _mm512_sub_ps(a, b);
  if constexpr (Op == BinaryOp::kMul) return _mm512_mul_ps(a, b);
  if constexpr (Op == BinaryOp::kDiv) return _mm512_div_ps(a, b);
  if constexpr (Op == BinaryOp::kMax)
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), _mm512_max_ps(a, b), a);
  if constexpr (Op == BinaryOp::kMin)
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), _mm512_min_ps(a, b), a);
}

// LA / LB: how to fetch 16 lanes of a and b at offset i (a pointer load or a broadcast value);
// the tail passes a mask, under which a pointer load reads only the lanes inside the run.
template <BinaryOp Op, class LA, class LB>
void loop(const LA& la, const LB& lb, float* y, int64_t n) {
  constexpr __mmask16 kAll = 0xFFFF;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 r0 = vop<Op>(la(i, kAll), lb(i, kAll));
    __m512 r1 = vop<Op>(la(i + 16, kAll), lb(i + 16, kAll));
    _mm512_storeu_ps(y + i, r0);
    _mm512_storeu_ps(y + i + 16, r1);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, vop<Op>(la(i, kAll), lb(i, kAll)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, vop<Op>(la(i, m), lb(i, m)));
  }
}

struct Ptr {
  const float* p;
  __m512 operator()(int64_t i, __mmask16 m) const {
    return m == 0xFFFF ? _mm512_loadu_ps(p + i) : _mm512_maskz_loadu_ps(m, p + i);
  }
};
struct Splat {
  __m512 v;
  __m512 operator()(int64_t, __mmask16) const { return v; }
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

// Pow stays scalar but for a square, as in the AVX2 tier.
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
  dispatch(op, Ptr{a}, Splat{_mm512_set1_ps(b)}, y, n);
}

void sv(BinaryOp op, float a, const float* b, float* y, int64_t n) {
  if (op == BinaryOp::kPow) {
    for (int64_t i = 0; i < n; ++i) y[i] = pow_apply(a, b[i]);
    return;
  }
  dispatch(op, Splat{_mm512_set1_ps(a)}, Ptr{b}, y, n);
}
}  // namespace

const BinaryKernels& binary_kernels_avx512() {
  // constinit: the table is data, so asking for it runs no AVX-512 code on any CPU.
  static constinit const BinaryKernels k{vv, vs, sv};
  return k;
}

}  // namespace sinter::kernels::detail
