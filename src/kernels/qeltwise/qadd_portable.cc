// The portable tier of the quantized add: the definition in qadd.h, one element at a time.
#include <algorithm>
#include <cmath>

#include "kernels/qeltwise/qadd.h"

namespace sinter::kernels::detail {

namespace {
void add(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y) {
  const float ma = q.a_scale / q.y_scale, mb = q.b_scale / q.y_scale;
  const auto lo = static_cast<float>(q.y_min - q.y_zero_point);
  const auto hi = static_cast<float>(q.y_max - q.y_zero_point);
  for (int64_t i = 0; i < n; ++i) {
    const float va = static_cast<float>(static_cast<int32_t>(a[i]) - q.a_zero_point) * ma;
    float v = std::fma(static_cast<float>(static_cast<int32_t>(b[i]) - q.b_zero_point), mb, va);
    v = std::clamp(v, lo, hi);
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(v)) + q.y_zero_point);
  }
}
}  // namespace

const QAddKernels& qadd_kernels_portable() {
  static const QAddKernels k{add};
  return k;
}

}  // namespace sinter::kernels::detail
