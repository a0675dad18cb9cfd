#pragma once
// Element-wise activations that kernels apply in their epilogue, so a Conv/Gemm followed by an
// activation writes its output once.
#include <algorithm>
#include <cmath>

namespace sinter {

enum class ActivationKind { kNone, kRelu, kClip, kSigmoid, kHardSigmoid, kHardSwish, kLeakyRelu };

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  // kClip: [alpha, beta] = [min, max]; kHardSigmoid: y = clamp(alpha*x + beta, 0, 1);
  // kLeakyRelu: alpha is the negative slope.
  float alpha = 0.0f;
  float beta = 0.0f;

  static Activation relu() { return {ActivationKind::kRelu, 0.0f, 0.0f}; }
  static Activation clip(float lo, float hi) { return {ActivationKind::kClip, lo, hi}; }

  // The scalar definition every vectorized epilogue must agree with.
  float apply(float x) const {
    switch (kind) {
      case ActivationKind::kNone: return x;
      case ActivationKind::kRelu: return x > 0.0f ? x : 0.0f;
      case ActivationKind::kClip: return std::min(std::max(x, alpha), beta);
      case ActivationKind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
      case ActivationKind::kHardSigmoid: return std::min(std::max(alpha * x + beta, 0.0f), 1.0f);
      case ActivationKind::kHardSwish:
        return x * std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
      case ActivationKind::kLeakyRelu: return x >= 0.0f ? x : alpha * x;
    }
    return x;
  }
};

}  // namespace sinter
