#include "kernels/recurrent/recurrent_activation.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace sinter {
namespace {

template <class F>
void apply_each(float* v, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) v[i] = f(v[i]);
}

}  // namespace

float RecurrentActivation::operator()(float x) const {
  float v = x;
  apply(&v, 1);
  return v;
}

void RecurrentActivation::apply(float* v, int64_t n) const {
  const float a = alpha, b = beta;
  switch (kind) {
    case RecurrentActivationKind::kSigmoid:
      return apply_each(v, n, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
    case RecurrentActivationKind::kTanh:
      return apply_each(v, n, [](float x) { return std::tanh(x); });
    case RecurrentActivationKind::kRelu:
      return apply_each(v, n, [](float x) { return std::max(x, 0.0f); });
    case RecurrentActivationKind::kHardSigmoid:
      return apply_each(v, n, [=](float x) { return std::clamp(a * x + b, 0.0f, 1.0f); });
    case RecurrentActivationKind::kLeakyRelu:
      return apply_each(v, n, [=](float x) { return x >= 0.0f ? x : a * x; });
    case RecurrentActivationKind::kThresholdedRelu:
      return apply_each(v, n, [=](float x) { return x > a ? x : 0.0f; });
    case RecurrentActivationKind::kScaledTanh:
      return apply_each(v, n, [=](float x) { return a * std::tanh(b * x); });
    case RecurrentActivationKind::kAffine:
      return apply_each(v, n, [=](float x) { return a * x + b; });
    case RecurrentActivationKind::kElu:
      return apply_each(v, n, [=](float x) { return x >= 0.0f ? x : a * (std::exp(x) - 1.0f); });
    case RecurrentActivationKind::kSoftsign:
      return apply_each(v, n, [](float x) { return x / (1.0f + std::fabs(x)); });
    case RecurrentActivationKind::kSoftplus:
      // log(1 + e^x) without overflow for large x.
      return apply_each(v, n, [](float x) {
        return x > 0.0f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      });
  }
}

float RecurrentActivation::derivative(float x) const {
  switch (kind) {
    case RecurrentActivationKind::kSigmoid: {
      const float s = (*this)(x);
      return s * (1.0f - s);
    }
    case RecurrentActivationKind::kTanh: {
      const float t = std::tanh(x);
      return 1.0f - t * t;
    }
    case RecurrentActivationKind::kRelu:
      return x >= 0.0f ? 1.0f : 0.0f;
    case RecurrentActivationKind::kHardSigmoid: {
      const float v = alpha * x + beta;
      return v >= 0.0f && v < 1.0f ? alpha : 0.0f;
    }
    case RecurrentActivationKind::kLeakyRelu:
      return x >= 0.0f ? 1.0f : alpha;
    case RecurrentActivationKind::kThresholdedRelu:
      return x > alpha ? 1.0f : 0.0f;
    case RecurrentActivationKind::kScaledTanh: {
      const float t = std::tanh(beta * x);
      return alpha * beta * (1.0f - t * t);
    }
    case RecurrentActivationKind::kAffine:
      return alpha;
    case RecurrentActivationKind::kElu:
      return x >= 0.0f ? 1.0f : alpha * std::exp(x);
    case RecurrentActivationKind::kSoftsign: {
      const float d = 1.0f + std::fabs(x);
      return 1.0f / (d * d);
    }
    case RecurrentActivationKind::kSoftplus:
      return 1.0f / (1.0f + std::exp(-x));
  }
  return 0.0f;
}

std::optional<RecurrentActivationKind> recurrent_activation_kind(const std::string& name) {
  struct Named {
    const char* name;
    RecurrentActivationKind kind;
  };
  static const Named kNames[] = {
      {"sigmoid", RecurrentActivationKind::kSigmoid},
      {"tanh", RecurrentActivationKind::kTanh},
      {"relu", RecurrentActivationKind::kRelu},
      {"hardsigmoid", RecurrentActivationKind::kHardSigmoid},
      {"leakyrelu", RecurrentActivationKind::kLeakyRelu},
      {"thresholdedrelu", RecurrentActivationKind::kThresholdedRelu},
      {"scaledtanh", RecurrentActivationKind::kScaledTanh},
      {"affine", RecurrentActivationKind::kAffine},
      {"elu", RecurrentActivationKind::kElu},
      {"softsign", RecurrentActivationKind::kSoftsign},
      {"softplus", RecurrentActivationKind::kSoftplus},
  };
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Named& n : kNames)
    if (lower == n.name) return n.kind;
  return std::nullopt;
}

int recurrent_activation_parameters(RecurrentActivationKind kind) {
  switch (kind) {
    case RecurrentActivationKind::kLeakyRelu:
    case RecurrentActivationKind::kThresholdedRelu:
    case RecurrentActivationKind::kElu:
      return 1;
    case RecurrentActivationKind::kHardSigmoid:
    case RecurrentActivationKind::kScaledTanh:
    case RecurrentActivationKind::kAffine:
      return 2;
    default:
      return 0;
  }
}

RecurrentActivation default_recurrent_activation(RecurrentActivationKind kind) {
  switch (kind) {
    case RecurrentActivationKind::kHardSigmoid:
      return {kind, 0.2f, 0.5f};
    case RecurrentActivationKind::kLeakyRelu:
      return {kind, 0.01f, 0.0f};
    case RecurrentActivationKind::kThresholdedRelu:
    case RecurrentActivationKind::kElu:
      return {kind, 1.0f, 0.0f};
    case RecurrentActivationKind::kScaledTanh:
      return {kind, 1.0f, 1.0f};
    case RecurrentActivationKind::kAffine:
      return {kind, 1.0f, 0.0f};
    default:
      return {kind, 0.0f, 0.0f};
  }
}

}  // namespace sinter
