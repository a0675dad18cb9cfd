#include "compress/quant_weights.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace sinter {

namespace {
struct GroupRanges {
  std::vector<float> lo, hi;
};

GroupRanges group_ranges(const Tensor& w, const Shape& blocked) {
  const auto groups = static_cast<size_t>(shape_numel(blocked));
  GroupRanges r{std::vector<float>(groups, std::numeric_limits<float>::infinity()),
                std::vector<float>(groups, -std::numeric_limits<float>::infinity())};
  const float* x = w.data<float>();
  for_each_blocked(w.shape(), blocked, [&](int64_t i, int64_t j) {
    r.lo[j] = std::min(r.lo[j], x[i]);
    r.hi[j] = std::max(r.hi[j], x[i]);
  });
  for (size_t j = 0; j < groups; ++j)  // groups of an empty tensor hold nothing: call them zero
    if (r.lo[j] > r.hi[j]) r.lo[j] = r.hi[j] = 0.0f;
  return r;
}

// The scale a group needs to reach its extremes, before any fallback for all-zero groups.
float needed_scale(float lo, float hi, kernels::IntRange range, bool symmetric) {
  if (symmetric) return std::max(std::fabs(lo), std::fabs(hi)) / static_cast<float>(range.hi);
  return (std::max(hi, 0.0f) - std::min(lo, 0.0f)) / static_cast<float>(range.hi - range.lo);
}

void add_two_level_scales(const Tensor& w, const GroupRanges& r, QuantParams& p) {
  const QuantScheme& s = p.scheme;
  const kernels::IntRange range = p.range();
  const Shape& blocked = p.scale.shape();
  Shape channel_blocked(blocked.size(), 1);
  channel_blocked[s.channel_axis] = blocked[s.channel_axis];
  const int32_t max_factor = (1 << s.scale_bits) - 1;

  // gamma per channel: the largest needed scale spread over the factor's levels.
  Tensor gamma_t(DType::kFloat32, channel_blocked);
  float* gamma = gamma_t.data<float>();
  std::vector<float> needed(r.lo.size());
  std::vector<int64_t> channel_of(r.lo.size());
  for_each_blocked(blocked, channel_blocked, [&](int64_t j, int64_t c) {
    needed[j] = needed_scale(r.lo[j], r.hi[j], range, s.symmetric);
    channel_of[j] = c;
    gamma[c] = std::max(gamma[c], needed[j] / static_cast<float>(max_factor));
  });
  for (int64_t c = 0; c < gamma_t.numel(); ++c)
    if (!(gamma[c] >= std::numeric_limits<float>::min())) gamma[c] = 1.0f;  // an all-zero channel

  // Two candidate factors per vector; the squared error of each, summed over its elements.
  const size_t vectors = needed.size();
  std::vector<int32_t> candidate[2] = {std::vector<int32_t>(vectors),
                                       std::vector<int32_t>(vectors)};
  std::vector<double> error[2] = {std::vector<double>(vectors), std::vector<double>(vectors)};
  std::vector<int32_t> zero_point[2] = {std::vector<int32_t>(vectors),
                                        std::vector<int32_t>(vectors)};
  for (size_t j = 0; j < vectors; ++j) {
    const float ratio = needed[j] / gamma[channel_of[j]];
    candidate[0][j] = std::clamp(static_cast<int32_t>(std::floor(ratio)), 1, max_factor);
    candidate[1][j] = std::clamp(static_cast<int32_t>(std::ceil(ratio)), 1, max_factor);
    for (int k = 0; k < 2; ++k) {
      const float scale = static_cast<float>(candidate[k][j]) * gamma[channel_of[j]];
      zero_point[k][j] = s.symmetric ? 0 : zero_point_for(std::min(r.lo[j], 0.0f), scale, range);
    }
  }
  const float* x = w.data<float>();
  for_each_blocked(w.shape(), blocked, [&](int64_t i, int64_t j) {
    const float g = gamma[channel_of[j]];
    for (int k = 0; k < 2; ++k) {
      const float scale = static_cast<float>(candidate[k][j]) * g;
      const int32_t q = kernels::quantize_value(x[i], scale, zero_point[k][j], range);
      const double d =
          kernels::dequantize_value(q, g, zero_point[k][j]) * static_cast<float>(candidate[k][j]) -
          x[i];
      error[k][j] += d * d;
    }
  });

  Tensor factor_t(DType::kInt32, blocked);
  int32_t* factor = factor_t.data<int32_t>();
  float* scale = p.scale.data<float>();
  int8_t* zp = p.zero_point.data<int8_t>();
  for (size_t j = 0; j < vectors; ++j) {
    const int k = error[1][j] < error[0][j] ? 1 : 0;  // ties keep the smaller factor
    factor[j] = candidate[k][j];
    scale[j] = static_cast<float>(factor[j]) * gamma[channel_of[j]];
    zp[j] = static_cast<int8_t>(zero_point[k][j]);
  }
  p.two_level = TwoLevelScales{factor_t, gamma_t};
}
}  // namespace

QuantParams choose_weight_params(const Tensor& w, const QuantScheme& scheme,
                                 const std::string& what) {
  if (w.dtype() != DType::kFloat32)
    throw InputError(cat(what, ": weights must be float32, got ", dtype_name(w.dtype())));
  const int64_t bad = find_nonfinite(w);
  if (bad >= 0)
    throw NumericError(cat(what, ": weight ", bad, " is ", w.data<float>()[bad],
                           "; cannot quantize non-finite values"));
  QuantParams p;
  p.scheme = checked_scheme(scheme, w.shape(), what);
  const Shape blocked = param_shape(w.shape(), p.scheme);
  const GroupRanges r = group_ranges(w, blocked);
  const bool per_tensor = p.scheme.granularity == QuantGranularity::kTensor;
  p.scale = Tensor(DType::kFloat32, per_tensor ? Shape{} : blocked);
  p.zero_point = Tensor(DType::kInt8, p.scale.shape());
  if (p.scheme.granularity == QuantGranularity::kVector && p.scheme.scale_bits > 0) {
    add_two_level_scales(w, r, p);
    return p;
  }
  for (size_t j = 0; j < r.lo.size(); ++j) {
    const ScaleZeroPoint sz = scale_for_range(r.lo[j], r.hi[j], p.range(), p.scheme.symmetric);
    p.scale.data<float>()[j] = sz.scale;
    p.zero_point.data<int8_t>()[j] = static_cast<int8_t>(sz.zero_point);
  }
  return p;
}

Tensor fake_quantize_weights(const Tensor& w, const QuantScheme& scheme, const std::string& what) {
  return fake_quantize(w, choose_weight_params(w, scheme, what));
}

}  // namespace sinter
