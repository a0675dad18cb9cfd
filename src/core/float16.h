#pragma once
// IEEE half precision (float16) bit patterns to and from float32, for the ops that read or
// write float16 tensors by widening them to float32.
#include <cstdint>

namespace sinter {

// Exact: every half value is a float.
float half_to_float(uint16_t h);

// Rounds to the nearest half, ties to even; overflow gives infinity, NaN stays NaN.
uint16_t float_to_half(float f);

}  // namespace sinter
