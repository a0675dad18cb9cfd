#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace sinter {

// Element types sinter stores. The numbering is sinter's own; onnx/ maps to and from ONNX's.
enum class DType : uint8_t { kFloat32, kFloat64, kFloat16, kInt8, kUint8, kInt16, kInt32, kInt64, kBool };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <>
constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <>
constexpr DType dtype_of<int8_t>() { return DType::kInt8; }
template <>
constexpr DType dtype_of<uint8_t>() { return DType::kUint8; }
template <>
constexpr DType dtype_of<int16_t>() { return DType::kInt16; }
template <>
constexpr DType dtype_of<int32_t>() { return DType::kInt32; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::kInt64; }
template <>
constexpr DType dtype_of<bool>() { return DType::kBool; }

}  // namespace sinter
