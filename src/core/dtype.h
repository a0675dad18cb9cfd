#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace sinter {

// Element types sinter stores. The numbering is sinter's own; onnx/ maps to and from ONNX's.
// kInt4 and kUint4 (ONNX opset 21) hold one value per byte in memory, sign- or zero-extended;
// only files pack them two per byte.
enum class DType : uint8_t {
  kFloat32,
  kFloat64,
  kFloat16,
  kInt8,
  kUint8,
  kInt16,
  kInt32,
  kInt64,
  kBool,
  kInt4,
  kUint4
};

size_t dtype_size(DType t);
const char* dtype_name(DType t);
// The C++ type's dtype that holds t's values in memory: t itself but for the 4-bit types.
constexpr DType storage_dtype(DType t) {
  return t == DType::kInt4 ? DType::kInt8 : t == DType::kUint4 ? DType::kUint8 : t;
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::kFloat64;
}
template <>
constexpr DType dtype_of<int8_t>() {
  return DType::kInt8;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::kUint8;
}
template <>
constexpr DType dtype_of<int16_t>() {
  return DType::kInt16;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::kBool;
}

}  // namespace sinter
