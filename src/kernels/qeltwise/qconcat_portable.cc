// The portable tier of the concatenation's requantization: the definition in qconcat.h.

#include "kernels/integer/round_to_u8.h"
#include "kernels/qeltwise/qconcat.h"

namespace sinter::kernels::detail {

namespace {
void requant(const uint8_t* x, int64_t n, const ByteRequant& r, uint8_t* y) {
  const auto lo = static_cast<float>(-r.y_zero_point);
  const auto hi = static_cast<float>(255 - r.y_zero_point);
  for (int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(static_cast<int32_t>(x[i]) - r.x_zero_point) * r.multiplier;
    y[i] = round_to_u8(v, lo, hi, r.y_zero_point);
  }
}
}  // namespace

const QConcatKernels& qconcat_kernels_portable() {
  static const QConcatKernels k{requant};
  return k;
}

}  // namespace sinter::kernels::detail
