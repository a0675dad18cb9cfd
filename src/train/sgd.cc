#include "train/sgd.h"

#include <cmath>

#include "core/error.h"

namespace sinter {

Sgd::Sgd(std::vector<Parameter> params, SgdOptions options)
    : Optimizer(std::move(params)), options_(options) {
  if (!std::isfinite(options_.momentum) || options_.momentum < 0.0f)
    throw InputError(cat("SGD momentum must be finite and >= 0, got ", options_.momentum));
  if (!std::isfinite(options_.weight_decay) || options_.weight_decay < 0.0f)
    throw InputError(cat("SGD weight_decay must be finite and >= 0, got ", options_.weight_decay));
  if (options_.nesterov && options_.momentum == 0.0f)
    throw InputError("SGD nesterov needs momentum > 0");
}

std::vector<std::string> Sgd::slot_names() const {
  if (options_.momentum == 0.0f) return {};
  return {"momentum"};
}

void Sgd::step(float lr) {
  const float mu = options_.momentum;
  const float wd = options_.weight_decay;
  const std::vector<Parameter>& params = parameters();
  for (size_t p = 0; p < params.size(); ++p) {
    float* w = params[p].value->data<float>();
    const float* g = params[p].grad->data<float>();
    const int64_t n = params[p].value->numel();
    if (mu == 0.0f) {
      for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
      continue;
    }
    const bool first = !has_slots(p);
    float* buf = slot(p, 0).data<float>();
    for (int64_t i = 0; i < n; ++i) {
      float d = g[i] + wd * w[i];
      buf[i] = first ? d : mu * buf[i] + d;
      d = options_.nesterov ? d + mu * buf[i] : buf[i];
      w[i] -= lr * d;
    }
  }
  count_step();
}

}  // namespace sinter
