// The portable tier of the magnitude passes: sums in independent chains, so that the additions
// overlap instead of each waiting for the one before; selections without a branch (a quarter of
// the values pass the first stage, which no branch predictor guesses).
#include <cmath>

#include "kernels/select/magnitude_passes.h"

namespace sinter::kernels::detail {

namespace {

constexpr int kChains = 8;

double sum_of_magnitudes_portable(const float* x, int64_t n) {
  double sums[kChains] = {};
  int64_t i = 0;
  for (; i + kChains <= n; i += kChains)
    for (int c = 0; c < kChains; ++c) sums[c] += std::fabs(x[i + c]);
  for (; i < n; ++i) sums[0] += std::fabs(x[i]);
  double sum = 0;
  for (double s : sums) sum += s;
  return sum;
}

ExcessSums excess_sums_portable(const float* m, int64_t n, double base) {
  ExcessSums chains[kChains];
  int64_t i = 0;
  for (; i + kChains <= n; i += kChains) {
    for (int c = 0; c < kChains; ++c) {
      const double y = m[i + c] - base;
      chains[c].sum += y;
      chains[c].squares += y * y;
    }
  }
  for (; i < n; ++i) {
    const double y = m[i] - base;
    chains[0].sum += y;
    chains[0].squares += y * y;
  }
  ExcessSums total;
  for (const ExcessSums& c : chains) {
    total.sum += c.sum;
    total.squares += c.squares;
  }
  return total;
}

// Every magnitude is written; the count moves past the kept ones.
int64_t keep_above_portable(const float* x, int64_t n, float t, float* out) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float m = std::fabs(x[i]);
    out[kept] = m;
    kept += m > t;
  }
  return kept;
}

int64_t count_above_portable(const float* x, int64_t n, float t) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += std::fabs(x[i]) > t;
  return count;
}

int64_t indices_above_portable(const float* x, int64_t n, float t, uint32_t* indices) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    indices[kept] = static_cast<uint32_t>(i);
    kept += std::fabs(x[i]) > t;
  }
  return kept;
}

}  // namespace

const MagnitudeKernels& magnitude_kernels_portable() {
  static constinit const MagnitudeKernels k{sum_of_magnitudes_portable, excess_sums_portable,
                                            keep_above_portable, count_above_portable,
                                            indices_above_portable};
  return k;
}

}  // namespace sinter::kernels::detail
