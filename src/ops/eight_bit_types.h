#pragma once
// The 8-bit integer types of ONNX's quantized tensors (int8, uint8) as the ops handle them.
#include <cstdint>

#include "core/dtype.h"
#include "kernels/quant/quantize_linear.h"

namespace sinter {

inline bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUint8; }

// The integers a quantized value of type t saturates to.
inline kernels::IntRange range_of(DType t) {
  return t == DType::kInt8 ? kernels::IntRange{-128, 127} : kernels::IntRange{0, 255};
}

// Calls f(T{}) with T the C++ type of an 8-bit quantized dtype.
template <class F>
void dispatch_8bit(DType t, F&& f) {
  if (t == DType::kInt8) {
    f(int8_t{});
  } else {
    f(uint8_t{});
  }
}

}  // namespace sinter
