#include <cmath>

#include "kernels/eltwise/unary.h"

namespace sinter::kernels {

namespace {
// Ops shared with Activation take their formula from Activation::apply so the two can't drift.
float apply_one(UnaryOp op, float x, float alpha, float beta) {
  switch (op) {
    case UnaryOp::kRelu:
      return Activation{ActivationKind::kRelu, 0, 0}.apply(x);
    case UnaryOp::kClip:
      return Activation{ActivationKind::kClip, alpha, beta}.apply(x);
    case UnaryOp::kSigmoid:
      return Activation{ActivationKind::kSigmoid, 0, 0}.apply(x);
    case UnaryOp::kTanh:
      return std::tanh(x);
    case UnaryOp::kHardSigmoid:
      return Activation{ActivationKind::kHardSigmoid, alpha, beta}.apply(x);
    case UnaryOp::kHardSwish:
      return Activation{ActivationKind::kHardSwish, 0, 0}.apply(x);
    case UnaryOp::kErf:
      return std::erf(x);
    case UnaryOp::kSqrt:
      return std::sqrt(x);
    case UnaryOp::kExp:
      return std::exp(x);
    case UnaryOp::kLog:
      return std::log(x);
    case UnaryOp::kNeg:
      return -x;
    case UnaryOp::kAbs:
      return std::fabs(x);
    case UnaryOp::kLeakyRelu:
      return Activation{ActivationKind::kLeakyRelu, alpha, 0}.apply(x);
  }
  return x;
}
}  // namespace

void unary_reference(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply_one(op, x[i], alpha, beta);
}

void apply_activation_reference(const Activation& act, float* data, int64_t n) {
  for (int64_t i = 0; i < n; ++i) data[i] = act.apply(data[i]);
}

}  // namespace sinter::kernels
