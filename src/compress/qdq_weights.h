#pragma once
// The quantized weights of a QDQ model (as compress/qdq_export writes it, or any ONNX file where
// an integer initializer feeds DequantizeLinear), found again from the file alone so that its
// storage can be counted: each one's values, its quantization params, and the float weight the
// layer reads, in the layer's own layout.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter {

struct QdqWeight {
  std::string quantized;  // the integer initializer, as stored (per vector: [vectors, V])
  std::string value;      // the float value the layer reads, after any Reshape/Slice/Transpose
  // DequantizeLinear's output in the layer's layout. It is zero exactly where the integer holds
  // its zero point, so a pruned weight's zeros, which quantize to the zero point, show in it.
  Tensor dequantized;
};

struct QdqWeights {
  std::vector<QdqWeight> weights;
  // The scale and zero-point initializers of every QuantizeLinear/DequantizeLinear, of weights
  // and activations alike, and two-level scales' integer factors (a Mul by their Cast after the
  // DequantizeLinear): what a quantized model stores besides its values.
  std::set<std::string> params;
};

// Throws what evaluating the DequantizeLinear and layout nodes throws (ModelError for a
// malformed pair).
QdqWeights find_qdq_weights(const Graph& model);

}  // namespace sinter
