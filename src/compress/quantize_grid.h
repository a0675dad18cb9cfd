#pragma once
// Projection onto quantization levels, ADMM-NN's constraint set for quantized weights: every
// weight a point of the symmetric uniform grid {-q, ..., q} * scale with q = 2^(bits-1) - 1
// (127 for 8 bits, 7 for 4), one scale for the whole tensor or one per output channel (dim 0).
#include <vector>

#include "core/tensor.h"

namespace sinter {

enum class ScaleGranularity { kTensor, kOutputChannel };

// Scales that put the largest |w| of each group on the grid's end: max|w| / q, one for kTensor,
// dim 0 of them for kOutputChannel. A group of zeros gets scale 0. Throws InputError unless
// 2 <= bits <= 8, for non-float32 weights, and for rank 0 with kOutputChannel.
std::vector<float> max_abs_scales(const Tensor& w, int bits, ScaleGranularity granularity);

// The nearest grid point to every weight: clamp(round(w / scale), -q, q) * scale, rounding half to
// even like ONNX QuantizeLinear so a later QDQ export lands on the same values. `scales` holds one
// scale (whole tensor) or dim 0 of them (one per output channel); scale 0 maps its group to zeros.
// Zeros stay zero, so quantizing a pruned tensor keeps its mask. Throws InputError for bits
// outside [2, 8], a wrong number of scales, a negative or non-finite scale, or non-float32 weights.
Tensor project_to_grid(const Tensor& w, int bits, const std::vector<float>& scales);

}  // namespace sinter
