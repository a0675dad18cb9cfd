#pragma once
// A float model rewritten as an ONNX QDQ model (opset 13 QuantizeLinear/DequantizeLinear), so
// sinter, ONNX Runtime and other engines run the quantized network from one ordinary file.
//
// Each weight of a QuantTarget is replaced by an int8 initializer (4-bit values held in int8, as
// compress/quant_scheme.h explains) and its scales (and zero points when asymmetric) feeding a
// DequantizeLinear:
//  - per tensor: a scalar scale;
//  - per channel: a 1-D scale along the output-channel axis (DequantizeLinear's per-axis form);
//  - per vector of V (VS-Quant): vectors run along the layer's reduction, the weight seen as
//    rows [output channels, K] (K = kh*kw*I for Conv, in window order: a vector is V input
//    channels of one tap, the order in which a channels-last integer kernel sums). The
//    int8 rows are stored as [rows * K / V, V], so one DequantizeLinear with a per-axis scale on
//    axis 0 gives every vector its own scale and zero point, exactly; a Reshape (and a Transpose
//    for [K, N] weights) restores the layout. A K that V does not divide is padded with zeros to
//    the next multiple of V before quantizing (zero is on every grid, so the padding changes no
//    scale) and a Slice drops the padding after dequantizing; a Conv's rows are reshaped to
//    [O, kh, kw, I] and transposed to [O, I, kh, kw]. Opset 13 has no blocked
//    quantization, and a Mul by a per-element scale tensor would store a float per weight;
//    ONNX Runtime 1.30 runs this form with its graph optimizations off and on.
//    With two-level scales (VS-Quant; symmetric, at most 8 scale bits) the int8 rows are stored
//    as [channels, K / V, V] with one float scale per channel (DequantizeLinear on axis 0), and
//    each vector's integer factor as uint8 [channels, K / V, 1], cast to float and multiplied
//    in: ((q * channel scale) * factor), the order the library dequantizes in, so the file
//    holds the two levels themselves.
// Each activation with params becomes QuantizeLinear -> DequantizeLinear before the layers that
// read it: uint8 with the zero point shifted by 128 when asymmetric (the same grid as the
// library's int8 [-128, 127] one), int8 with zero point 0 when symmetric. Biases stay float32.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compress/quant_error.h"
#include "compress/quant_params.h"
#include "ir/graph.h"

namespace sinter {

struct QuantizedWeight {
  std::string name;
  Shape shape;
  int64_t scales = 0;        // scale values stored
  int64_t float_bytes = 0;   // as float32
  int64_t packed_bytes = 0;  // values at `bits` each, scales as float32, zero points as int8
  QuantError error;          // of the dequantized weight against the float one
};

struct QdqModel {
  Graph graph;
  std::vector<QuantizedWeight> weights;
  std::vector<std::string> activations;  // values given a QuantizeLinear/DequantizeLinear pair
  int64_t float_weight_bytes = 0;        // the quantized weights as float32
  int64_t quantized_weight_bytes = 0;    // sum of packed_bytes
  // Every other initializer of the QDQ graph as stored (biases, activation params, shapes).
  int64_t other_bytes = 0;
};

// The float weight the exported model's DequantizeLinear gives back for `w` under `scheme`, the
// layer's output channels on `channel_axis` (0 for Conv and Gemm with transB, 1 for [K, N]):
// what quantization-aware training trains through. Throws what choose_weight_params throws.
Tensor exported_weight(const Tensor& w, int64_t channel_axis, const QuantScheme& scheme,
                       const std::string& what);

// How the file is written. Below opset 21 (the model's own, 13 or later, unless asked for more)
// 4-bit values are int8 and per-vector scales come through the rows above; every engine since
// 2020 reads that. At opset 21 (asked for, or the model's own)
// 4-bit values are int4 (files pack them two a byte) and per-vector weights are one
// DequantizeLinear with block_size V along the layer's reduction axis wherever their vectors are
// such blocks (Gemm/MatMul, 1x1 Convs, and larger windows whose input channels V divides); the
// rest of the graph is moved to opset 21 (onnx/opset_upgrade).
struct QdqFormat {
  int64_t opset = 0;  // 0: the model's own
};

// Rewrites `model` (opset >= 13; fold BatchNorm into the weights first) with every
// find_quant_targets weight quantized under `weights`: its bits, symmetry, granularity and
// vector size count; the axes are each layer's own (above). `activations` maps value names to
// per-tensor 8-bit params (calibrate_activation); values not in it stay float. Throws
// InputError for a bad scheme, 4-bit activation params (QuantizeLinear saturates to 8 bits),
// a model with nothing to quantize, an opset below 13 or a format opset outside [model's, 21];
// UnsupportedError for asymmetric
// two-level scales or more than 8 scale bits.
QdqModel export_qdq(const Graph& model, const QuantScheme& weights,
                    const std::map<std::string, QuantParams>& activations = {},
                    const QdqFormat& format = {});

}  // namespace sinter
