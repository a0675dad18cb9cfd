#include <cmath>

#include "kernels/select/magnitude_passes.h"

namespace sinter::kernels {

double sum_of_magnitudes_reference(const float* x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::fabs(x[i]);
  return sum;
}

ExcessSums excess_sums_reference(const float* m, int64_t n, double base) {
  ExcessSums s;
  for (int64_t i = 0; i < n; ++i) {
    const double y = m[i] - base;
    s.sum += y;
    s.squares += y * y;
  }
  return s;
}

int64_t keep_above_reference(const float* x, int64_t n, double t, float* out) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float m = std::fabs(x[i]);
    if (m > t) out[kept++] = m;
  }
  return kept;
}

int64_t count_above_reference(const float* x, int64_t n, double t) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > t) ++count;
  return count;
}

void indices_above_reference(const float* x, int64_t n, double t, std::vector<uint32_t>& indices) {
  indices.clear();
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > t) indices.push_back(static_cast<uint32_t>(i));
}

}  // namespace sinter::kernels
