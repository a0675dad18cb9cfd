#pragma once
// The uint8 scale and zero point DynamicQuantizeLinear picks for a tensor, in float as ONNX's
// function body computes them: the range [min(0, min x), max(0, max x)] spread over 255 steps,
//   scale = (hi - lo) / 255,  zero_point = round_half_even(clamp(0 - lo / scale, 0, 255)).
#include <cstdint>

namespace sinter::kernels {

struct DynamicQuantizeParams {
  float scale;
  uint8_t zero_point;
};

// x must hold finite values (the op checks). An empty range (all zeros, or no values) takes the
// scale 1 / 255 of ONNX's reference, where the formula would divide 0 by 0; so does a range so
// narrow that its scale underflows to 0. A range wider than float (hi - lo overflowing) gives an
// infinite scale, for the caller to refuse.
DynamicQuantizeParams dynamic_quantize_params(const float* x, int64_t n);

}  // namespace sinter::kernels
