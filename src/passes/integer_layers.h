#pragma once
#include "ir/graph.h"

namespace sinter {

// Runs the quantized layers of a QDQ model on integers. A layer whose activation inputs come
// from DequantizeLinear (u8, one scale per tensor) and whose output (through a ReLU or Clip, which
// narrow the output range) goes only to a QuantizeLinear (u8, one scale) becomes an integer op
// that reads the u8 tensors those DequantizeLinears read and writes the one the QuantizeLinear
// wrote, so activations stay in 8 bits between quantized layers:
//  - Conv, and Gemm/MatMul with constant weights, whose weights come from a DequantizeLinear of
//    s8 values (zero points zero; one scale per tensor, per output channel, or per vector of a
//    multiple of 16 k, two-level scales included: passes/integer_weights.h) -> sinter::QConv;
//  - Add of two tensors of one shape -> sinter::QAdd, or, when a QConv (not depthwise) writes one
//    of them for the Add alone, that QConv's fused residual (one requantization of the conv's
//    sums plus the other input into the Add's grid);
//  - QLinearConv and QLinearMatMul (QOperator models) of u8 tensors with s8 constant weights ->
//    sinter::QConv too;
//  - Concat along channels -> sinter::QConcat (each input requantized, or copied when it has the
//    output's scale);
//  - MaxPool that keeps its input's scale -> sinter::QMaxPool; GlobalAveragePool ->
//    sinter::QGlobalAveragePool; Flatten of [N, C, 1, 1] that keeps the scale -> Flatten on u8.
// int8 activations first move onto uint8 (passes/unsigned_activations.h: the same grid, zero
// point + 128), so files quantized with either type run on the same kernels.
// Rank-4 tensors between integer ops are channels-last (NHWC): a QuantizeLinear that feeds them
// becomes sinter::QuantizeToNhwc (other producers get a Transpose), and a Transpose back to NCHW
// precedes a DequantizeLinear (or other reader) that leaves.
// Run it before constant folding: it reads the weights' DequantizeLinear nodes. Returns the
// layers rewritten.
int use_integer_layers(Graph& g);

}  // namespace sinter
