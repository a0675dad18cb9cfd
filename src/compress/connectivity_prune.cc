#include "compress/connectivity_prune.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compress/prune_checks.h"
#include "compress/select_largest.h"
#include "core/error.h"

namespace sinter {

int64_t kept_kernel_count(int64_t kernels, double connectivity_rate, const char* who) {
  if (!(connectivity_rate >= 1.0) || !std::isfinite(connectivity_rate))
    throw InputError(cat(who, ": connectivity rate must be a finite number >= 1 (keep 1/rate of ",
                         "the kernels), got ", short_number(connectivity_rate)));
  if (kernels == 0) return 0;
  const int64_t kept = std::llround(static_cast<double>(kernels) / connectivity_rate);
  return std::clamp<int64_t>(kept, 1, kernels);
}

Mask connectivity_mask(const Tensor& w, double connectivity_rate) {
  constexpr const char* kWho = "connectivity pruning";
  require_weights_of_rank(w, kWho, 4);
  const int64_t kernels = w.dim(0) * w.dim(1);
  const int64_t taps = w.dim(2) * w.dim(3);
  const int64_t k = kept_kernel_count(kernels, connectivity_rate, kWho);
  const float* x = w.data<float>();
  std::vector<double> energy(static_cast<size_t>(kernels), 0.0);
  for (int64_t kn = 0; kn < kernels; ++kn)
    for (int64_t t = 0; t < taps; ++t) {
      const double v = x[kn * taps + t];
      energy[kn] += v * v;
    }
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()), 0);
  for (int64_t kn : largest_indices(energy, k)) std::fill_n(keep.begin() + kn * taps, taps, 1);
  return Mask(w.shape(), std::move(keep));
}

}  // namespace sinter
