#include "compress/pattern_prune.h"

#include <algorithm>

#include "compress/connectivity_prune.h"
#include "compress/select_largest.h"
#include "core/error.h"

namespace sinter {

namespace {

void require_valid_set(const std::vector<KernelPattern>& set, const char* who) {
  if (set.empty() || static_cast<int64_t>(set.size()) > kCandidatePatternCount)
    throw InputError(cat(who, ": pattern set must hold between 1 and ", kCandidatePatternCount,
                         " patterns, got ", set.size()));
  const std::vector<KernelPattern>& candidates = candidate_patterns();
  for (size_t i = 0; i < set.size(); ++i) {
    if (!std::binary_search(candidates.begin(), candidates.end(), set[i]))
      throw InputError(cat(who, ": pattern ", set[i], " (bits of the kept 3x3 taps) is not one of ",
                           "the 4-tap patterns that include the center"));
    if (std::find(set.begin(), set.begin() + i, set[i]) != set.begin() + i)
      throw InputError(cat(who, ": pattern ", set[i], " appears twice in the pattern set"));
  }
}

}  // namespace

PatternPruning prune_to_patterns(const Tensor& w, const std::vector<KernelPattern>& set,
                                 double connectivity_rate) {
  constexpr const char* kWho = "pattern pruning";
  require_3x3_conv_weights(w, kWho);
  require_valid_set(set, kWho);
  const int64_t kernels = w.dim(0) * w.dim(1);
  const int64_t kept = kept_kernel_count(kernels, connectivity_rate, kWho);

  const float* x = w.data<float>();
  std::vector<int32_t> best(static_cast<size_t>(kernels), 0);
  std::vector<double> best_energy(static_cast<size_t>(kernels), 0.0);
  for (int64_t kn = 0; kn < kernels; ++kn)
    for (size_t p = 0; p < set.size(); ++p) {
      const double e = pattern_energy(x + kn * 9, set[p]);
      if (e > best_energy[kn]) best[kn] = static_cast<int32_t>(p), best_energy[kn] = e;
    }

  std::vector<int32_t> kernel_pattern(static_cast<size_t>(kernels), -1);
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()), 0);
  for (int64_t kn : largest_indices(best_energy, kept)) {
    kernel_pattern[kn] = best[kn];
    for (int t = 0; t < 9; ++t) keep[kn * 9 + t] = (set[best[kn]] >> t) & 1u;
  }
  return {Mask(w.shape(), std::move(keep)), std::move(kernel_pattern)};
}

}  // namespace sinter
