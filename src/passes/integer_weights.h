#pragma once
// The integer weights of a quantized layer, found from the file alone: the int8 (or opset 21 int4)
// initializer behind the DequantizeLinear that the layer's float weight comes from (per channel, or
// in opset 21's blocks), through the layout nodes between
// them (Reshape, Slice, Transpose, Identity: how per-vector weights are written, each vector a row
// of its own) and an integer factor (a Mul by a constant of whole numbers: VS-Quant's two-level
// scales), with the scale of every weight. The scales' structure is then read off the weights'
// rows in the kernel's order: one scale a channel, or one a vector of V consecutive k.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "ir/graph.h"

namespace sinter {

struct IntegerWeights {
  Tensor values;  // s8 in the layer's layout: Conv [M, C / group, KH, KW]; Gemm/MatMul [N, K]
  Tensor scales;  // float [M], or [M, ceil(K / vector_size)] per vector
  int64_t vector_size = 0;
  int bits = 8;  // 4 when every value is in [-8, 7]
};

// A constant's value (an initializer, or a short chain of nodes over initializers), if it is one.
using ConstantOf = std::function<std::optional<Tensor>(const std::string&)>;

// The weights of the layer reading `value`: rank 4 for a Conv (its window's k in (kh, kw, c)
// order), rank 2 for a Gemm/MatMul, given as [K, N] when k_by_n (returned as [N, K]). Two-level
// factors are multiplied into the values where every product fits s8 (the second level then costs
// nothing), else into the scales. None when the weights are not such integers, zero points are
// not zero, a scale is not finite and positive, or the scales do not come in whole vectors of a
// multiple of 16 k.
std::optional<IntegerWeights> integer_weights(
    const Graph& g, const std::unordered_map<std::string, size_t>& producers,
    const ConstantOf& constant_of, const std::string& value, bool k_by_n);

}  // namespace sinter
