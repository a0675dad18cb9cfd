#include "compress/unstructured_prune.h"

#include <cmath>
#include <vector>

#include "compress/prune_checks.h"
#include "compress/select_largest.h"

namespace sinter {

Mask unstructured_mask(const Tensor& w, double sparsity) {
  constexpr const char* kWho = "unstructured pruning";
  require_prunable_weights(w, kWho, 0);
  const int64_t k = kept_count(w.numel(), sparsity, kWho);
  const float* x = w.data<float>();
  std::vector<double> magnitude(static_cast<size_t>(w.numel()));
  for (size_t i = 0; i < magnitude.size(); ++i) magnitude[i] = std::fabs(x[i]);
  std::vector<uint8_t> keep(magnitude.size(), 0);
  for (int64_t i : largest_indices(magnitude, k)) keep[i] = 1;
  return Mask(w.shape(), std::move(keep));
}

}  // namespace sinter
