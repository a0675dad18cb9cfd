#pragma once
// Requantization of an exact integer sum into an 8-bit output, as QLinearConv and QLinearMatMul
// define it: y = saturate(round_half_even(sum * input_scale / y_scale) + y_zero_point), where
// input_scale is the product of the operands' scales.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels {

// Computed in double, dividing last: the product of two float scales is exact in double, and
// when the true quotient is a tie (k + 1/2 for an output in range) the product sum * input_scale
// equals (k + 1/2) * y_scale, which double holds exactly, so the division lands on the tie
// exactly and ties round to even as the definition says. Scales must be finite and positive
// (checked by the ops), so the value is finite and the clamp below defines every result.
inline int32_t requantize_reference(int64_t sum, double input_scale, double y_scale,
                                    int32_t y_zero_point, IntRange range) {
  const double rounded = std::nearbyint(static_cast<double>(sum) * input_scale / y_scale);
  const double shifted = rounded + static_cast<double>(y_zero_point);
  return static_cast<int32_t>(
      std::clamp(shifted, static_cast<double>(range.lo), static_cast<double>(range.hi)));
}

}  // namespace sinter::kernels
