// The portable tier of the binary inner loops: one loop per op with binary_apply()'s formula
// inlined (binary_apply itself is out of line and switches per element), so that the compiler
// vectorizes them with the baseline SSE2. Results equal binary_apply() bit for bit.
#include <cmath>

#include "kernels/eltwise/binary.h"

namespace sinter::kernels::detail {

namespace {
template <BinaryOp Op>
inline float apply(float a, float b) {
  if constexpr (Op == BinaryOp::kAdd) return a + b;
  if constexpr (Op == BinaryOp::kSub) return a - b;
  if constexpr (Op == BinaryOp::kMul) return a * b;
  if constexpr (Op == BinaryOp::kDiv) return a / b;
  if constexpr (Op == BinaryOp::kPow) return pow_apply(a, b);
  if constexpr (Op == BinaryOp::kMax) return (a > b || a != a) ? a : b;
  if constexpr (Op == BinaryOp::kMin) return (a < b || a != a) ? a : b;
}

// LA / LB: a's and b's value at i (an array element or one broadcast value).
template <BinaryOp Op, class LA, class LB>
void loop(const LA& la, const LB& lb, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply<Op>(la(i), lb(i));
}

struct Ptr {
  const float* p;
  float operator()(int64_t i) const { return p[i]; }
};
struct Splat {
  float v;
  float operator()(int64_t) const { return v; }
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
    case BinaryOp::kPow:
      return loop<BinaryOp::kPow>(la, lb, y, n);
    case BinaryOp::kMax:
      return loop<BinaryOp::kMax>(la, lb, y, n);
    case BinaryOp::kMin:
      return loop<BinaryOp::kMin>(la, lb, y, n);
  }
}

void vv(BinaryOp op, const float* a, const float* b, float* y, int64_t n) {
  dispatch(op, Ptr{a}, Ptr{b}, y, n);
}
void vs(BinaryOp op, const float* a, float b, float* y, int64_t n) {
  dispatch(op, Ptr{a}, Splat{b}, y, n);
}
void sv(BinaryOp op, float a, const float* b, float* y, int64_t n) {
  dispatch(op, Splat{a}, Ptr{b}, y, n);
}
}  // namespace

const BinaryKernels& binary_kernels_portable() {
  static constinit const BinaryKernels k{vv, vs, sv};
  return k;
}

}  // namespace sinter::kernels::detail
