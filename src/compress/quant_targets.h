#pragma once
// What post-training quantization quantizes in a float model: the constant weight of every
// Conv, Gemm and MatMul, and the activation each of those layers reads. Everything else (biases,
// BatchNorm statistics, element-wise ops) stays float32, so the quantized model is the float
// model with QuantizeLinear/DequantizeLinear placed where int8 kernels would take over.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter {

struct QuantTarget {
  size_t node = 0;         // index into Graph::nodes
  std::string weight;      // float32 initializer, rank >= 2
  std::string activation;  // the layer's data input (a graph input or an intermediate value)
  // The weight's output-channel axis: 0 for Conv [O, I, kh, kw] and Gemm with transB [N, K]; 1
  // for MatMul and Gemm without transB, whose weights are [K, N]. The reduction axes are the
  // others (I, kh, kw for Conv).
  int64_t channel_axis = 0;
};

// The Conv, Gemm (transA 0) and MatMul nodes of the default domain whose input 1 is a float32
// initializer (rank 4 for Conv, rank 2 otherwise) and whose input 0 is not, in node order. A
// weight shared by several nodes appears once per node.
std::vector<QuantTarget> find_quant_targets(const Graph& g);

// The first node of `g` that is already quantized (QuantizeLinear, DequantizeLinear, or one of
// ONNX's integer ops QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger,
// DynamicQuantizeLinear), or null when there is none.
const Node* find_quantized_node(const Graph& g);

}  // namespace sinter
