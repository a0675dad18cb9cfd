#include "train/adam.h"

#include <cmath>

#include "core/error.h"

namespace sinter {

Adam::Adam(std::vector<Parameter> params, AdamOptions options)
    : Optimizer(std::move(params)), options_(options) {
  auto beta_ok = [](float b) { return std::isfinite(b) && b >= 0.0f && b < 1.0f; };
  if (!beta_ok(options_.beta1) || !beta_ok(options_.beta2))
    throw InputError(
        cat("Adam betas must be in [0, 1), got ", options_.beta1, ", ", options_.beta2));
  if (!std::isfinite(options_.eps) || options_.eps < 0.0f)
    throw InputError(cat("Adam eps must be finite and >= 0, got ", options_.eps));
  if (!std::isfinite(options_.weight_decay) || options_.weight_decay < 0.0f)
    throw InputError(cat("Adam weight_decay must be finite and >= 0, got ", options_.weight_decay));
}

AdamW::AdamW(std::vector<Parameter> params, AdamOptions options)
    : Adam(std::move(params), decoupled(options)) {}

std::vector<std::string> Adam::slot_names() const { return {"exp_avg", "exp_avg_sq"}; }

void Adam::step(float lr) {
  const float b1 = options_.beta1;
  const float b2 = options_.beta2;
  const float wd = options_.weight_decay;
  const double t = static_cast<double>(steps() + 1);
  // PyTorch evaluates these as Python floats (double) and passes them to float kernels.
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(b1), t);
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(b2), t);
  const float step_size = static_cast<float>(static_cast<double>(lr) / bias_correction1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * wd);
  const float one_minus_b1 = static_cast<float>(1.0 - b1);
  const float one_minus_b2 = static_cast<float>(1.0 - b2);

  const std::vector<Parameter>& params = parameters();
  for (size_t p = 0; p < params.size(); ++p) {
    float* w = params[p].value->data<float>();
    const float* g = params[p].grad->data<float>();
    float* m = slot(p, 0).data<float>();
    float* v = slot(p, 1).data<float>();
    const int64_t n = params[p].value->numel();
    for (int64_t i = 0; i < n; ++i) {
      float grad = g[i];
      if (options_.decoupled_weight_decay) {
        w[i] *= decay;
      } else if (wd != 0.0f) {
        grad += wd * w[i];
      }
      m[i] = m[i] * b1 + grad * one_minus_b1;
      v[i] = v[i] * b2 + grad * grad * one_minus_b2;
      const float denom = std::sqrt(v[i]) / bc2_sqrt + options_.eps;
      w[i] -= step_size * (m[i] / denom);
    }
  }
  count_step();
}

}  // namespace sinter
