#include "compress/quantize_grid.h"

#include <algorithm>
#include <cmath>

#include "compress/prune_checks.h"
#include "core/error.h"

namespace sinter {

namespace {

constexpr const char* kWho = "quantization";

// q, the grid's largest level.
int levels_for_bits(int bits) {
  if (bits < 2 || bits > 8)
    throw InputError(cat(kWho, ": bits must be between 2 and 8, got ", bits));
  return (1 << (bits - 1)) - 1;
}

// Elements per scale: the whole tensor for one scale, one output channel for dim 0 scales.
int64_t group_size(const Tensor& w, size_t scale_count) {
  if (scale_count == 1) return w.numel();
  if (w.rank() == 0 || static_cast<int64_t>(scale_count) != w.dim(0))
    throw InputError(cat(kWho, ": needs 1 scale or one per output channel for weights of shape ",
                         shape_str(w.shape()), ", got ", scale_count));
  return w.dim(0) == 0 ? 0 : w.numel() / w.dim(0);
}

}  // namespace

std::vector<float> max_abs_scales(const Tensor& w, int bits, ScaleGranularity granularity) {
  const int q = levels_for_bits(bits);
  require_prunable_weights(w, kWho, granularity == ScaleGranularity::kTensor ? 0 : 1);
  const int64_t groups = granularity == ScaleGranularity::kTensor ? 1 : w.dim(0);
  const int64_t size = group_size(w, static_cast<size_t>(groups));
  const float* x = w.data<float>();
  std::vector<float> scales(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) {
    float max_abs = 0.0f;
    for (int64_t i = 0; i < size; ++i) max_abs = std::max(max_abs, std::fabs(x[g * size + i]));
    scales[g] = max_abs / static_cast<float>(q);
  }
  return scales;
}

Tensor project_to_grid(const Tensor& w, int bits, const std::vector<float>& scales) {
  const int q = levels_for_bits(bits);
  require_prunable_weights(w, kWho, 0);
  const int64_t size = group_size(w, scales.size());
  for (float s : scales)
    if (!std::isfinite(s) || s < 0.0f)
      throw InputError(cat(kWho, ": scales must be finite and >= 0, got ", short_number(s)));
  Tensor out(DType::kFloat32, w.shape());
  const float* x = w.data<float>();
  float* y = out.data<float>();
  for (int64_t g = 0; g < static_cast<int64_t>(scales.size()); ++g) {
    const float s = scales[g];
    if (s == 0.0f) continue;  // `out` starts zero-filled
    for (int64_t i = g * size; i < (g + 1) * size; ++i) {
      // std::nearbyint rounds half to even in the default rounding mode.
      const float level =
          std::clamp(std::nearbyint(x[i] / s), static_cast<float>(-q), static_cast<float>(q));
      y[i] = level * s;
    }
  }
  return out;
}

}  // namespace sinter
