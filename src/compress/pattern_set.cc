#include "compress/pattern_set.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "compress/prune_checks.h"
#include "core/error.h"

namespace sinter {

namespace {

constexpr KernelPattern kCenterTap = 1 << 4;

std::vector<KernelPattern> make_candidates() {
  std::vector<KernelPattern> out;
  for (unsigned bits = 0; bits < (1u << 9); ++bits)
    if (std::popcount(bits) == kPatternTaps && (bits & kCenterTap)) out.push_back(bits);
  return out;
}

}  // namespace

const std::vector<KernelPattern>& candidate_patterns() {
  static const std::vector<KernelPattern> candidates = make_candidates();
  return candidates;
}

void require_3x3_conv_weights(const Tensor& w, const char* who) {
  require_weights_of_rank(w, who, 4);
  if (w.dim(2) != 3 || w.dim(3) != 3)
    throw InputError(
        cat(who, ": needs 3x3 conv kernels [out, in, 3, 3], got shape ", shape_str(w.shape())));
}

double pattern_energy(const float* kernel, KernelPattern pattern) {
  double sum = 0.0;
  for (int t = 0; t < 9; ++t)
    if (pattern & (1u << t)) sum += static_cast<double>(kernel[t]) * kernel[t];
  return sum;
}

std::vector<int64_t> count_best_patterns(const std::vector<Tensor>& weights) {
  const std::vector<KernelPattern>& candidates = candidate_patterns();
  std::vector<int64_t> wins(candidates.size(), 0);
  for (const Tensor& w : weights) {
    require_3x3_conv_weights(w, "pattern selection");
    const float* x = w.data<float>();
    for (int64_t kn = 0, kernels = w.numel() / 9; kn < kernels; ++kn) {
      const float* kernel = x + kn * 9;
      size_t best = 0;
      double best_energy = 0.0;
      for (size_t c = 0; c < candidates.size(); ++c) {
        const double e = pattern_energy(kernel, candidates[c]);
        if (e > best_energy) best = c, best_energy = e;
      }
      // Energy 0 for the best pattern means the whole kernel is zero: it has no preference.
      if (best_energy > 0.0) ++wins[best];
    }
  }
  return wins;
}

std::vector<KernelPattern> select_pattern_set(const std::vector<Tensor>& weights, int64_t count) {
  if (count < 1 || count > kCandidatePatternCount)
    throw InputError(cat("pattern selection: pattern count must be between 1 and ",
                         kCandidatePatternCount, ", got ", count));
  if (weights.empty()) throw InputError("pattern selection: no 3x3 conv weights to choose from");
  const std::vector<int64_t> wins = count_best_patterns(weights);
  std::vector<int64_t> order(wins.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  // Most frequent first, so that pattern id 0 is the common case.
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return wins[a] > wins[b]; });
  std::vector<KernelPattern> set;
  for (int64_t i = 0; i < count; ++i) set.push_back(candidate_patterns()[order[i]]);
  return set;
}

}  // namespace sinter
