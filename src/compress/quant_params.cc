#include "compress/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace sinter {

int32_t zero_point_for(float lo, float scale, kernels::IntRange range) {
  const float z = static_cast<float>(range.lo) - std::nearbyint(lo / scale);
  return static_cast<int32_t>(
      std::clamp(z, static_cast<float>(range.lo), static_cast<float>(range.hi)));
}

Shape param_shape(const Shape& shape, const QuantScheme& scheme) {
  Shape blocked(shape.size(), 1);
  if (scheme.granularity == QuantGranularity::kChannel) {
    blocked[scheme.channel_axis] = shape[scheme.channel_axis];
  } else if (scheme.granularity == QuantGranularity::kVector) {
    blocked = shape;
    blocked[scheme.vector_axis] /= scheme.vector_size;
  }
  return blocked;
}

ScaleZeroPoint scale_for_range(float lo, float hi, kernels::IntRange range, bool symmetric) {
  float scale;
  if (symmetric) {
    scale = std::max(std::fabs(lo), std::fabs(hi)) / static_cast<float>(range.hi);
  } else {
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    scale = (hi - lo) / static_cast<float>(range.hi - range.lo);
  }
  // Zero or subnormal: the values are all (practically) zero, and x / scale must stay finite.
  if (!(scale >= std::numeric_limits<float>::min())) scale = 1.0f;
  return {scale, symmetric ? 0 : zero_point_for(lo, scale, range)};
}

namespace {
// The params' blocked shape, checked against x's.
Shape blocked_shape(const Tensor& x, const QuantParams& p) {
  const Shape want =
      p.scheme.granularity == QuantGranularity::kTensor
          ? Shape(x.shape().size(), 1)
          : param_shape(x.shape(), checked_scheme(p.scheme, x.shape(), "quantized tensor"));
  const bool fits = p.scheme.granularity == QuantGranularity::kTensor ? p.scale.numel() == 1
                                                                      : p.scale.shape() == want;
  if (!fits)
    throw InputError(cat("quantization params of shape ", shape_str(p.scale.shape()),
                         " do not fit a tensor of shape ", shape_str(x.shape())));
  return want;
}

void require_dtype(const Tensor& t, DType want, const char* who) {
  if (t.dtype() != want)
    throw InputError(
        cat(who, " needs a ", dtype_name(want), " tensor, got ", dtype_name(t.dtype())));
}
}  // namespace

Tensor quantize_tensor(const Tensor& x, const QuantParams& p) {
  require_dtype(x, DType::kFloat32, "quantize_tensor");
  Tensor q(DType::kInt8, x.shape());
  const float* xs = x.data<float>();
  const float* scale = p.scale.data<float>();
  const int8_t* zp = p.zero_point.data<int8_t>();
  int8_t* qs = q.data<int8_t>();
  const kernels::IntRange range = p.range();
  for_each_blocked(x.shape(), blocked_shape(x, p), [&](int64_t i, int64_t j) {
    qs[i] = static_cast<int8_t>(kernels::quantize_value(xs[i], scale[j], zp[j], range));
  });
  return q;
}

Tensor dequantize_tensor(const Tensor& q, const QuantParams& p) {
  require_dtype(q, DType::kInt8, "dequantize_tensor");
  Tensor y(DType::kFloat32, q.shape());
  const int8_t* qs = q.data<int8_t>();
  const int8_t* zp = p.zero_point.data<int8_t>();
  float* ys = y.data<float>();
  const Shape blocked = blocked_shape(q, p);
  if (!p.two_level) {
    const float* scale = p.scale.data<float>();
    for_each_blocked(q.shape(), blocked, [&](int64_t i, int64_t j) {
      ys[i] = kernels::dequantize_value(qs[i], scale[j], zp[j]);
    });
    return y;
  }
  // Each vector's channel scale, gathered once.
  std::vector<float> channel_scale(static_cast<size_t>(p.scale.numel()));
  const float* cs = p.two_level->channel_scale.data<float>();
  for_each_blocked(blocked, p.two_level->channel_scale.shape(),
                   [&](int64_t j, int64_t c) { channel_scale[j] = cs[c]; });
  const int32_t* factor = p.two_level->vector_factor.data<int32_t>();
  for_each_blocked(q.shape(), blocked, [&](int64_t i, int64_t j) {
    ys[i] =
        kernels::dequantize_value(qs[i], channel_scale[j], zp[j]) * static_cast<float>(factor[j]);
  });
  return y;
}

Tensor fake_quantize(const Tensor& x, const QuantParams& p) {
  return dequantize_tensor(quantize_tensor(x, p), p);
}

}  // namespace sinter
