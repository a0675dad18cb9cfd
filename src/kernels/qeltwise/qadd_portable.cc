// The portable tier of the quantized add: the definition in qadd.h, one element at a time.
#include <cmath>

#include "kernels/integer/round_to_u8.h"
#include "kernels/qeltwise/qadd.h"

namespace sinter::kernels::detail {

namespace {
void add(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y) {
  const float ma = requant_ratio(q.a_scale, q.y_scale), mb = requant_ratio(q.b_scale, q.y_scale);
  const auto lo = static_cast<float>(q.y_min - q.y_zero_point);
  const auto hi = static_cast<float>(q.y_max - q.y_zero_point);
  for (int64_t i = 0; i < n; ++i) {
    const float va = static_cast<float>(static_cast<int32_t>(a[i]) - q.a_zero_point) * ma;
    float v = std::fma(static_cast<float>(static_cast<int32_t>(b[i]) - q.b_zero_point), mb, va);
    y[i] = round_to_u8(v, lo, hi, q.y_zero_point);
  }
}
}  // namespace

const QAddKernels& qadd_kernels_portable() {
  static const QAddKernels k{add};
  return k;
}

}  // namespace sinter::kernels::detail
