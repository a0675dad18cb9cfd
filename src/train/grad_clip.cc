#include "train/grad_clip.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sinter {

float clip_grad_norm(const std::vector<Parameter>& params, float max_norm) {
  if (!std::isfinite(max_norm) || max_norm < 0.0f)
    throw InputError(cat("clip_grad_norm: max_norm must be finite and >= 0, got ", max_norm));
  // Accumulate in double: millions of float squares summed in float lose digits.
  double sum = 0.0;
  for (const Parameter& p : params) {
    const float* g = p.grad->data<float>();
    for (int64_t i = 0, n = p.grad->numel(); i < n; ++i) sum += static_cast<double>(g[i]) * g[i];
  }
  const float norm = static_cast<float>(std::sqrt(sum));
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  const float coef =
      std::min(1.0f, static_cast<float>(max_norm / (static_cast<double>(norm) + 1e-6)));
  for (const Parameter& p : params) {
    float* g = p.grad->data<float>();
    for (int64_t i = 0, n = p.grad->numel(); i < n; ++i) g[i] *= coef;
  }
  return norm;
}

}  // namespace sinter
