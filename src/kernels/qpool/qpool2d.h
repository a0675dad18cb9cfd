#pragma once
// Pooling of quantized channels-last (NHWC) u8 tensors. A max pool needs no requantization (its
// output keeps the input's scale and zero point); average pools sum each channel in int32 and
// requantize the mean into the output's scale.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

// x [batch][in_h][in_w][channels] -> y [batch][out_h][out_w][channels]; p as for max_pool2d
// (its plane strides unused). A window is never wholly in padding (pool_geometry checks).
void qmax_pool2d_nhwc(const Pool2dParams& p, const uint8_t* x, uint8_t* y, ThreadPool* pool);

struct QAverageQuant {
  float x_scale;
  int32_t x_zero_point;
  float y_scale;
  int32_t y_zero_point;
};

// AveragePool: x [batch][in_h][in_w][channels] -> y [batch][out_h][out_w][channels], p as for
// avg_pool2d. For each window, with `inside` taps on the input (their u8 sum `sum`) and `count` its
// divisor (the taps inside the explicit padding too with count_include_pad, else `inside`; padded
// taps are real zeros):
//   y = clamp(round_half_even((sum - inside * x_zero_point) * (x_scale / (count * y_scale)))
//             + y_zero_point, 0, 255), the multiplier computed in float and capped at 2^32
// (kernels/integer/round_to_u8.h).
void qaverage_pool2d_nhwc(const Pool2dParams& p, const uint8_t* x, const QAverageQuant& q,
                          uint8_t* y, ThreadPool* pool);

// x [batch][pixels][channels] -> y [batch][channels]:
//   y = clamp(round_half_even((sum - pixels * x_zero_point) * x_scale / (pixels * y_scale))
//             + y_zero_point, 0, 255), the multiplier as above.
void qglobal_average_pool_nhwc(const uint8_t* x, int64_t batch, int64_t pixels, int64_t channels,
                               const QAverageQuant& q, uint8_t* y, ThreadPool* pool);

}  // namespace sinter::kernels
