#pragma once
// Concatenation of quantized u8 channels-last tensors along the channel axis into one output
// scale: each input byte maps to an output byte through a 256-entry table,
//   y = clamp(round_half_even((x - x_zero_point) * (x_scale / y_scale)) + y_zero_point, 0, 255),
// which is an identity copy when an input already has the output's scale and zero point.
#include <array>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace sinter::kernels {

using RequantTable = std::array<uint8_t, 256>;

RequantTable requant_table(float x_scale, int32_t x_zero_point, float y_scale,
                           int32_t y_zero_point);

struct QConcatInput {
  const uint8_t* x;  // [pixels][channels]
  int64_t channels;
  const RequantTable* table;  // null: copied as it is
};

// y [pixels][sum of channels].
void qconcat_channels(const std::vector<QConcatInput>& inputs, int64_t pixels, uint8_t* y,
                      ThreadPool* pool);

}  // namespace sinter::kernels
