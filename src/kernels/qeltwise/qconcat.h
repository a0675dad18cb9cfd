#pragma once
// Concatenation of quantized u8 channels-last tensors along the channel axis into one output
// scale. Each input's bytes are requantized,
//   y = clamp(round_half_even((x - x_zero_point) * (x_scale / y_scale)) + y_zero_point, 0, 255),
// the ratio of scales capped at 2^32 (kernels/integer/round_to_u8.h), or copied when the input
// already has the output's scale and zero point.
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct ByteRequant {
  float multiplier;  // x_scale / y_scale
  int32_t x_zero_point, y_zero_point;
};

struct QConcatInput {
  const uint8_t* x;  // [pixels][channels]
  int64_t channels;
  const ByteRequant* requant;  // null: copied as it is
};

// The kernels of one ISA tier: n bytes requantized.
struct QConcatKernels {
  void (*requant)(const uint8_t* x, int64_t n, const ByteRequant& r, uint8_t* y);
};
const IsaTables<QConcatKernels>& qconcat_kernels();

namespace detail {
const QConcatKernels& qconcat_kernels_portable();
const QConcatKernels& qconcat_kernels_avx2();
const QConcatKernels& qconcat_kernels_avx512();
}  // namespace detail

// y [pixels][sum of channels].
void qconcat_channels(const std::vector<QConcatInput>& inputs, int64_t pixels, uint8_t* y,
                      ThreadPool* pool, const QConcatKernels& tier = qconcat_kernels().active());

}  // namespace sinter::kernels
