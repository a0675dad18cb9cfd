#pragma once
// The integer types of ONNX's quantized tensors (int8, uint8; int4, uint4 from opset 21) as the
// ops handle them.
#include <cstdint>

#include "core/dtype.h"
#include "kernels/quant/quantize_linear.h"

namespace sinter {

inline bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUint8; }
// The types QuantizeLinear writes and DequantizeLinear reads: 8-bit and (opset 21) 4-bit.
inline bool is_quantized_type(DType t) {
  return is_8bit(t) || t == DType::kInt4 || t == DType::kUint4;
}

// The integers a quantized value of type t saturates to.
inline kernels::IntRange range_of(DType t) {
  switch (t) {
    case DType::kInt8:
      return {-128, 127};
    case DType::kInt4:
      return {-8, 7};
    case DType::kUint4:
      return {0, 15};
    default:
      return {0, 255};
  }
}

// Calls f(T{}) with T the C++ type that holds a quantized dtype (4-bit types sit in bytes).
template <class F>
void dispatch_8bit(DType t, F&& f) {
  if (storage_dtype(t) == DType::kInt8) {
    f(int8_t{});
  } else {
    f(uint8_t{});
  }
}

}  // namespace sinter
