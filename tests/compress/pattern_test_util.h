#pragma once
// Weights planted with known kernel patterns, for the pattern-pruning tests.
#include <cmath>
#include <random>
#include <vector>

#include "compress/pattern_set.h"
#include "compress_test_util.h"

namespace sinter::test {

// Fills kernel `kn` of [out, in, 3, 3] weights so that `pattern` is clearly its best: taps in the
// pattern get magnitudes in [0.5, 1), the others below 0.1, signs at random.
inline void plant_pattern(Tensor& w, int64_t kn, KernelPattern pattern, std::mt19937_64& rng) {
  float* kernel = w.data<float>() + kn * 9;
  for (int t = 0; t < 9; ++t) {
    const float u = static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24);
    const float magnitude = (pattern >> t) & 1u ? 0.5f + 0.5f * u : 0.1f * u;
    kernel[t] = (rng() & 1u) ? magnitude : -magnitude;
  }
}

// The best candidate for one kernel the direct way: the center plus the three largest other taps
// (ties: lower tap), which is what maximizing the kept sum of squares comes down to.
inline KernelPattern best_candidate_by_sorting(const float* kernel) {
  std::vector<double> magnitude;
  std::vector<int> taps;
  for (int t = 0; t < 9; ++t)
    if (t != 4) magnitude.push_back(std::fabs(kernel[t])), taps.push_back(t);
  const std::vector<int64_t> order = order_by_score(magnitude);
  KernelPattern p = 1 << 4;
  for (int i = 0; i < 3; ++i) p |= 1 << taps[order[i]];
  return p;
}

}  // namespace sinter::test
