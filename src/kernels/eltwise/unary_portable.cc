// The portable tier of the unary kernels: one loop per op (the reference switches per element),
// so that the compiler vectorizes the piecewise-linear ops with the baseline SSE2 and calls libm
// for the transcendental ones. Results equal the reference's bit for bit.
#include <cmath>

#include "kernels/eltwise/unary.h"

namespace sinter::kernels::detail {

namespace {
template <class F>
void map(const float* x, float* y, int64_t n, const F& f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// Activation::apply with the kind fixed at compile time, so its switch folds away.
template <ActivationKind K>
void map_activation(const Activation& a, const float* x, float* y, int64_t n) {
  const Activation fixed{K, a.alpha, a.beta};
  map(x, y, n, [&](float v) { return fixed.apply(v); });
}

void activation_range(const Activation& a, const float* x, float* y, int64_t n) {
  switch (a.kind) {
    case ActivationKind::kNone:
      if (x != y) map(x, y, n, [](float v) { return v; });
      return;
    case ActivationKind::kRelu:
      return map_activation<ActivationKind::kRelu>(a, x, y, n);
    case ActivationKind::kClip:
      return map_activation<ActivationKind::kClip>(a, x, y, n);
    case ActivationKind::kSigmoid:
      return map_activation<ActivationKind::kSigmoid>(a, x, y, n);
    case ActivationKind::kHardSigmoid:
      return map_activation<ActivationKind::kHardSigmoid>(a, x, y, n);
    case ActivationKind::kHardSwish:
      return map_activation<ActivationKind::kHardSwish>(a, x, y, n);
    case ActivationKind::kLeakyRelu:
      return map_activation<ActivationKind::kLeakyRelu>(a, x, y, n);
  }
}

void unary_portable(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
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
      return map(x, y, n, [](float v) { return std::tanh(v); });
    case UnaryOp::kErf:
      return map(x, y, n, [](float v) { return std::erf(v); });
    case UnaryOp::kSqrt:
      return map(x, y, n, [](float v) { return std::sqrt(v); });
    case UnaryOp::kExp:
      return map(x, y, n, [](float v) { return std::exp(v); });
    case UnaryOp::kLog:
      return map(x, y, n, [](float v) { return std::log(v); });
    case UnaryOp::kNeg:
      return map(x, y, n, [](float v) { return -v; });
    case UnaryOp::kAbs:
      return map(x, y, n, [](float v) { return std::fabs(v); });
  }
}

void activation_portable(const Activation& act, float* data, int64_t n) {
  activation_range(act, data, data, n);
}
}  // namespace

const UnaryKernels& unary_kernels_portable() {
  static constinit const UnaryKernels k{unary_portable, activation_portable};
  return k;
}

}  // namespace sinter::kernels::detail
