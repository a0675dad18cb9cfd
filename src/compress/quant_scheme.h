#pragma once
// How a weight tensor is quantized: bit width, symmetric or asymmetric, and which elements share
// a scale (the whole tensor, one channel, or one vector of V consecutive elements along the
// reduction axis as in VS-Quant, optionally with two-level scales).
//
// Quantized values are held in int8: a 4-bit weight is an int8 value inside the 4-bit range, so
// any engine runs an opset-13 QDQ model (which knows no 4-bit type), size accounting counts 4
// bits, and an opset-21 export writes the same values as int4 (compress/qdq_export.h). Symmetric
// schemes use the narrow range
// [-(2^(b-1) - 1), 2^(b-1) - 1] with zero point 0 (int8: [-127, 127], int4: [-7, 7]) so that
// +x and -x quantize alike; asymmetric ones the full [-2^(b-1), 2^(b-1) - 1] (int4: [-8, 7])
// with an integer zero point that makes 0 exact.
#include <cstdint>
#include <string>

#include "core/shape.h"
#include "kernels/quant/quantize_linear.h"

namespace sinter {

enum class QuantGranularity {
  kTensor,   // one scale
  kChannel,  // one scale per index along channel_axis (ONNX per-axis)
  kVector,   // one scale per vector of vector_size elements along vector_axis
};

struct QuantScheme {
  int bits = 8;  // 8 or 4
  bool symmetric = true;
  QuantGranularity granularity = QuantGranularity::kChannel;
  // kChannel: the axis with one scale per index (0: output channels of Conv weights).
  // kVector with scale_bits > 0: the axis of the second level's float scales.
  int64_t channel_axis = 0;
  // kVector: the reduction axis the vectors run along (1: input channels of Conv weights), and
  // how many consecutive elements share a scale; it must divide that axis.
  int64_t vector_axis = 1;
  int64_t vector_size = 16;
  // kVector: 0 gives every vector its own float scale. S > 0 makes scales two-level, as in
  // VS-Quant: an unsigned S-bit integer per vector times one float per channel_axis index.
  int scale_bits = 0;
};

// "tensor", "channel" or "vector:V": how a scheme's scales are shared, as options and records
// name it.
std::string granularity_name(const QuantScheme& scheme);
// Sets scheme's granularity (and vector size) from such a name ("vector" alone: V = 16). Throws
// InputError naming the text for anything else or a vector size that is not a positive integer.
void parse_granularity(const std::string& text, QuantScheme& scheme);

// The integers a scheme's values saturate to (see the comment at the top).
kernels::IntRange int_range(int bits, bool symmetric);

// The scheme with negative axes made positive for a tensor of `shape`. Throws InputError naming
// the field at fault and `what` (the tensor) for bits other than 4 or 8, an axis out of range, a
// vector size below 1 or not dividing its axis, scale bits outside [2, 16], or two-level scales
// whose channel axis is the vector axis.
QuantScheme checked_scheme(const QuantScheme& scheme, const Shape& shape, const std::string& what);

}  // namespace sinter
