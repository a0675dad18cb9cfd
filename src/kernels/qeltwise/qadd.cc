#include "kernels/qeltwise/qadd.h"

#include <algorithm>
#include <cmath>

namespace sinter::kernels {

void qadd(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y,
          ThreadPool* pool) {
  const float ma = q.a_scale / q.y_scale, mb = q.b_scale / q.y_scale;
  const auto lo = static_cast<float>(q.y_min - q.y_zero_point);
  const auto hi = static_cast<float>(q.y_max - q.y_zero_point);
  auto range = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const float va = static_cast<float>(static_cast<int32_t>(a[i]) - q.a_zero_point) * ma;
      float v = std::fma(static_cast<float>(static_cast<int32_t>(b[i]) - q.b_zero_point), mb, va);
      v = std::clamp(v, lo, hi);
      y[i] = static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(v)) + q.y_zero_point);
    }
  };
  if (pool) {
    pool->parallel_range(n, 4096, range);
  } else {
    range(0, n, 0);
  }
}

}  // namespace sinter::kernels
