#pragma once
#include "ir/graph.h"

namespace sinter {

// Moves int8 activations onto uint8, the type the integer kernels read: a QuantizeLinear writing
// int8 (one scale and zero point) whose every reader is a DequantizeLinear gets the zero point
// zp + 128, and so do those DequantizeLinears. round(x / s) + zp clamped to [-128, 127] plus 128
// is round(x / s) + zp + 128 clamped to [0, 255], and (q - zp) * s is unchanged: the same grid,
// the same values, so the model computes what it did. Returns the QuantizeLinears moved.
int use_unsigned_activations(Graph& g);

}  // namespace sinter
