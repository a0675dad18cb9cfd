#pragma once
// The scales and zero points chosen for one tensor, and quantizing, dequantizing and
// fake-quantizing it with them, exactly as ONNX QuantizeLinear/DequantizeLinear compute (the same
// scalar definition as sinter's kernels), so a fake-quantized weight equals what its exported QDQ
// pair gives in sinter or ONNX Runtime.
//
// Per-tensor parameters are scalars. Per-channel and per-vector ones are held "blocked", the
// layout of ONNX opset 21 blocked quantization: the tensor's rank, every dim 1 (shared along
// it), the full dim (one per index) or dim / V (one per vector of V). So axis-0 channels of a
// Conv weight [O, I, kh, kw] have params [O, 1, 1, 1], and vectors of 16 along its input
// channels [O, I / 16, kh, kw]. compress/qdq_export flattens per-channel params to the 1-D
// per-axis form of DequantizeLinear, and quantizes per-vector weights as rows [O, K] so that
// each vector is one row of a [O * K / V, V] view with per-axis params on axis 0.
#include <optional>
#include <string>

#include "compress/quant_scheme.h"
#include "core/tensor.h"

namespace sinter {

// VS-Quant's two-level per-vector scales: scale = vector_factor * channel_scale.
struct TwoLevelScales {
  Tensor vector_factor;  // int32 in [1, 2^S - 1], the shape of QuantParams::scale
  Tensor channel_scale;  // float32, blocked: only the channel axis is not 1
};

struct QuantParams {
  QuantScheme scheme;  // checked against the tensor's shape
  Tensor scale;        // float32
  Tensor zero_point;   // int8, the scale's shape; zeros when symmetric
  // With two-level scales, dequantization computes ((q - zero_point) * channel_scale) *
  // vector_factor: the order of an exported DequantizeLinear followed by a Mul.
  std::optional<TwoLevelScales> two_level;

  kernels::IntRange range() const { return int_range(scheme.bits, scheme.symmetric); }
};

struct ScaleZeroPoint {
  float scale;
  int32_t zero_point;
};

// The blocked shape of the params `scheme` (checked against `shape`) gives a tensor of `shape`:
// all ones for kTensor (whose params are then stored as scalars).
Shape param_shape(const Shape& shape, const QuantScheme& scheme);

// Maps [lo, hi] onto `range`. Symmetric: +-max(|lo|, |hi|) onto +-range.hi, zero point 0.
// Asymmetric: [lo, hi] widened to hold 0, then the zero point that makes 0 exact. A range with
// nothing in it (all zeros) gets scale 1, so nothing divides by zero.
ScaleZeroPoint scale_for_range(float lo, float hi, kernels::IntRange range, bool symmetric);

// The zero point that puts `lo` (<= 0) on range.lo for a given scale, saturated into the range.
int32_t zero_point_for(float lo, float scale, kernels::IntRange range);

// int8 values of `x` (float32) under `p`. Throws InputError when the params were made for
// another shape.
Tensor quantize_tensor(const Tensor& x, const QuantParams& p);
// float32 values of `q` (int8) under `p`.
Tensor dequantize_tensor(const Tensor& q, const QuantParams& p);
// dequantize_tensor(quantize_tensor(x, p), p): what the network sees after QDQ.
Tensor fake_quantize(const Tensor& x, const QuantParams& p);

// Calls fn(i, j) for every element i (row-major) of `shape`, with j the row-major index of its
// parameter in the blocked shape `blocked` (same rank, each dim dividing shape's).
template <class Fn>
void for_each_blocked(const Shape& shape, const Shape& blocked, Fn&& fn) {
  const size_t rank = shape.size();
  const std::vector<int64_t> stride = shape_strides(blocked);
  std::vector<int64_t> index(rank, 0), block(rank);
  for (size_t d = 0; d < rank; ++d) block[d] = shape[d] / blocked[d];
  const int64_t n = shape_numel(shape);
  int64_t j = 0;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, j);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < shape[d]) {
        if (index[d] % block[d] == 0) j += stride[d];
        break;
      }
      index[d] = 0;
      j -= (blocked[d] - 1) * stride[d];
    }
  }
}

}  // namespace sinter
