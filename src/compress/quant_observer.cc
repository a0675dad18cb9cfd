#include "compress/quant_observer.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sinter {

RangeObserver::RangeObserver(int64_t bins) {
  if (bins < 4 || bins % 4 != 0)
    throw InputError(cat("range observer: bins must be a positive multiple of 4, got ", bins));
  bins_.assign(static_cast<size_t>(bins), 0);
}

void RangeObserver::grow_to(float magnitude) {
  if (half_range_ == 0.0f) {
    half_range_ = magnitude;
    return;
  }
  const auto b = static_cast<int64_t>(bins_.size());
  while (half_range_ < magnitude) {
    // [-R, R] is the middle half of [-2R, 2R]: old bin k lands in new bin b/4 + k/2.
    std::vector<int64_t> merged(bins_.size(), 0);
    for (int64_t k = 0; k < b; ++k) merged[b / 4 + k / 2] += bins_[k];
    bins_.swap(merged);
    half_range_ *= 2.0f;
  }
}

void RangeObserver::observe(const float* x, int64_t n) {
  float magnitude = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]))
      throw NumericError(cat("range observer: value ", i, " of the batch is ", x[i],
                             "; cannot calibrate on non-finite values"));
    magnitude = std::max(magnitude, std::fabs(x[i]));
  }
  if (n == 0) return;
  if (magnitude > half_range_) grow_to(magnitude);
  const auto b = static_cast<int64_t>(bins_.size());
  const double per_unit = static_cast<double>(b) / 2.0 / half_range_;
  for (int64_t i = 0; i < n; ++i) {
    if (count_ == 0 && i == 0) min_ = max_ = x[0];
    min_ = std::min(min_, x[i]);
    max_ = std::max(max_, x[i]);
    if (x[i] == 0.0f) {
      ++zeros_;
      continue;
    }
    const auto k =
        static_cast<int64_t>(std::floor((static_cast<double>(x[i]) + half_range_) * per_unit));
    ++bins_[std::clamp<int64_t>(k, 0, b - 1)];
  }
  count_ += n;
}

void RangeObserver::observe(const Tensor& t) {
  if (t.dtype() != DType::kFloat32)
    throw InputError(
        cat("range observer: activations must be float32, got ", dtype_name(t.dtype())));
  observe(t.data<float>(), t.numel());
}

}  // namespace sinter
