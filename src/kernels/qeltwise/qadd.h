#pragma once
// The sum of two quantized u8 tensors of one shape into a third scale:
//   y = clamp(round_half_even(fma(b - b_zero_point, b_scale / y_scale,
//                                 (a - a_zero_point) * (a_scale / y_scale))) + y_zero_point,
//             y_min, y_max)
// with [y_min, y_max] the u8 range narrowed by a fused ReLU and each ratio of scales capped at
// 2^32 (kernels/integer/round_to_u8.h).
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct QAddQuant {
  float a_scale;
  int32_t a_zero_point;
  float b_scale;
  int32_t b_zero_point;
  float y_scale;
  int32_t y_zero_point;
  int32_t y_min = 0, y_max = 255;
};

// The kernels of one ISA tier: elements [0, n).
struct QAddKernels {
  void (*add)(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y);
};
const IsaTables<QAddKernels>& qadd_kernels();

namespace detail {
const QAddKernels& qadd_kernels_portable();
const QAddKernels& qadd_kernels_avx2();
const QAddKernels& qadd_kernels_avx512();
}  // namespace detail

// Splits the elements over `pool` (may be null).
void qadd(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y,
          ThreadPool* pool, const QAddKernels& tier = qadd_kernels().active());

}  // namespace sinter::kernels
