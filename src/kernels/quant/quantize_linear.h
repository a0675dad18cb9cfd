#pragma once
// Linear (affine) quantization of float arrays to 8-bit integers and back, as ONNX
// QuantizeLinear/DequantizeLinear define it: q = saturate(round_half_even(x / scale) + zero_point),
// x' = (q - zero_point) * scale. The compression library uses the same scalar definition, so a
// weight it fake-quantizes equals what the QDQ pair it exports computes.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

// The integers a quantized value saturates to: the storage type's range for ONNX ops, narrower
// for 4-bit or symmetric (narrow-range) schemes stored in int8.
struct IntRange {
  int32_t lo;
  int32_t hi;
};

// One value. x / scale is a true division (not a multiply by 1/scale) because that is what ONNX's
// reference does, and ties then round the same way. The clamp is written as the vector max/min
// instructions behave, so NaN saturates to lo exactly as in the vector tiers (and ONNX Runtime).
// F is float, or double for int32 inputs whose values a float cannot hold.
template <class F>
inline int32_t quantize_value(F x, F scale, int32_t zero_point, IntRange r) {
  F v = std::nearbyint(x / scale) + static_cast<F>(zero_point);
  v = v > static_cast<F>(r.lo) ? v : static_cast<F>(r.lo);
  v = v < static_cast<F>(r.hi) ? v : static_cast<F>(r.hi);
  return static_cast<int32_t>(v);
}

// (q - zero_point) * scale; the subtraction wraps like the vector code's rather than overflowing.
inline float dequantize_value(int32_t q, float scale, int32_t zero_point) {
  const auto d = static_cast<int32_t>(static_cast<uint32_t>(q) - static_cast<uint32_t>(zero_point));
  return static_cast<float>(d) * scale;
}

// A tensor seen as [outer, channels, inner]. With block == 0, element (o, c, i) uses scale[c] and
// zero_point[c] (ONNX per-axis quantization along the middle dim; channels == 1 is per-tensor).
// With block > 0 (opset 21's blocked layout) the parameters have x's shape with the middle dim
// cut into ceil(channels / block) blocks, and (o, c, i) uses the one at (o, c / block, i).
struct AxisLayout {
  int64_t outer = 1;
  int64_t channels = 1;
  int64_t inner = 1;
  int64_t block = 0;
  int64_t numel() const { return outer * channels * inner; }
  int64_t blocks() const { return block > 0 ? ceil_blocks(channels, block) : channels; }
  // ceil(n / block) for n >= 0, without overflowing for a block near INT64_MAX.
  static int64_t ceil_blocks(int64_t n, int64_t block) { return n == 0 ? 0 : (n - 1) / block + 1; }
  // The scale and zero point of element i.
  int64_t param_index(int64_t i) const {
    const int64_t c = (i / inner) % channels;
    if (block == 0) return c;
    return ((i / (inner * channels)) * blocks() + c / block) * inner + i % inner;
  }
  // The end of the run of elements from i that share i's parameters.
  int64_t run_end(int64_t i) const {
    if (block == 0) return (i / inner + 1) * inner;
    if (inner > 1) return i + 1;
    // inner == 1: consecutive elements walk the axis, and a run ends with its block.
    const int64_t c = i % channels;
    return i - c + std::min(channels, (c / block + 1) * block);
  }
};

// zero_point may be null (all zero). Long tensors are split over `pool` (may be null); each
// element's result does not depend on the split or the ISA.
void quantize_linear(const float* x, int8_t* y, AxisLayout layout, const float* scale,
                     const int32_t* zero_point, IntRange range, ThreadPool* pool = nullptr);
void quantize_linear(const float* x, uint8_t* y, AxisLayout layout, const float* scale,
                     const int32_t* zero_point, IntRange range, ThreadPool* pool = nullptr);
void dequantize_linear(const int8_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool = nullptr);
void dequantize_linear(const uint8_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool = nullptr);
void dequantize_linear(const int32_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool = nullptr);

// Plain-loop twins: the definition the fast versions are tested against. The int32-input
// QuantizeLinear (allowed by ONNX, rare) exists only here and divides in double.
void quantize_linear_reference(const float* x, int8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range);
void quantize_linear_reference(const float* x, uint8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range);
void quantize_linear_reference(const int32_t* x, int8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range);
void quantize_linear_reference(const int32_t* x, uint8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range);
void dequantize_linear_reference(const int8_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point);
void dequantize_linear_reference(const uint8_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point);
void dequantize_linear_reference(const int32_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point);

// One ISA tier's bodies over one contiguous run that shares a single scale and zero point. Every
// tier gives quantize_value()'s and dequantize_value()'s results exactly.
struct QuantizeKernels {
  void (*quantize_s8)(const float* x, int8_t* y, int64_t n, float scale, int32_t zero_point,
                      IntRange range);
  void (*quantize_u8)(const float* x, uint8_t* y, int64_t n, float scale, int32_t zero_point,
                      IntRange range);
  void (*dequantize_s8)(const int8_t* x, float* y, int64_t n, float scale, int32_t zero_point);
  void (*dequantize_u8)(const uint8_t* x, float* y, int64_t n, float scale, int32_t zero_point);
  void (*dequantize_s32)(const int32_t* x, float* y, int64_t n, float scale, int32_t zero_point);
};
// Portable, AVX2 and AVX-512 tiers; quantize_linear() and dequantize_linear() use active().
const IsaTables<QuantizeKernels>& quantize_kernels();

namespace detail {
// Each tier's table, defined in quantize_linear_portable.cc, quantize_linear_avx2.cc and
// quantize_linear_avx512.cc.
const QuantizeKernels& quantize_kernels_portable();
const QuantizeKernels& quantize_kernels_avx2();
const QuantizeKernels& quantize_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
