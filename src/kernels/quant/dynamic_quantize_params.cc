#include "kernels/quant/dynamic_quantize_params.h"

#include <algorithm>
#include <cmath>

namespace sinter::kernels {

DynamicQuantizeParams dynamic_quantize_params(const float* x, int64_t n) {
  float lo = 0.0f, hi = 0.0f;  // the range always holds 0, which must quantize exactly
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  float scale = (hi - lo) / 255.0f;
  if (!(scale > 0.0f)) scale = 1.0f / 255.0f;
  const float zero_point = std::clamp(0.0f - lo / scale, 0.0f, 255.0f);
  return {scale, static_cast<uint8_t>(std::nearbyint(zero_point))};
}

}  // namespace sinter::kernels
