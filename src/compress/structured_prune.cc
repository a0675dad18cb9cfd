#include "compress/structured_prune.h"

#include <vector>

#include "compress/prune_checks.h"
#include "compress/select_largest.h"

namespace sinter {

namespace {

// Views w as [outer, groups, inner] and keeps whole groups: filters are groups with outer = 1,
// channels are groups repeated once per filter.
Mask keep_largest_groups(const Tensor& w, int64_t group_axis, double sparsity, const char* who) {
  require_prunable_weights(w, who, 2);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < group_axis; ++d) outer *= w.dim(d);
  for (int64_t d = group_axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  const int64_t groups = w.dim(group_axis);
  const int64_t k = kept_count(groups, sparsity, who);

  // Squared norms in double, summed in a fixed order, rank groups the same as their L2 norms.
  const float* x = w.data<float>();
  std::vector<double> energy(static_cast<size_t>(groups), 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t i = 0; i < inner; ++i) {
        const double v = x[(o * groups + g) * inner + i];
        energy[g] += v * v;
      }

  std::vector<uint8_t> group_kept(static_cast<size_t>(groups), 0);
  for (int64_t g : largest_indices(energy, k)) group_kept[g] = 1;
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t i = 0; i < inner; ++i) keep[(o * groups + g) * inner + i] = group_kept[g];
  return Mask(w.shape(), std::move(keep));
}

}  // namespace

Mask filter_mask(const Tensor& w, double sparsity) {
  return keep_largest_groups(w, 0, sparsity, "filter pruning");
}

Mask channel_mask(const Tensor& w, double sparsity) {
  return keep_largest_groups(w, 1, sparsity, "channel pruning");
}

}  // namespace sinter
