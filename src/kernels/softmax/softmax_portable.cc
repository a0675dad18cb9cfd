// The portable tier of softmax: scalar loops with libm's expf and a double-precision sum. It
// differs from the reference in taking exp in float for log_softmax and in scaling by the sum's
// reciprocal instead of dividing every element (both well inside the tests' 2e-6).
#include <cmath>

#include "kernels/softmax/softmax.h"

namespace sinter::kernels::detail {

namespace {
// NaN-propagating row maximum, as the reference's.
float row_max(const float* x, int64_t cols) {
  float m = -INFINITY;
  for (int64_t j = 0; j < cols; ++j) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
  return m;
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      yr[j] = std::exp(xr[j] - m);
      sum += yr[j];
    }
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>(yr[j] * inv);
  }
}

void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(xr[j] - m);
    const double lse = std::log(sum);
    for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>((xr[j] - m) - lse);
  }
}
}  // namespace

const SoftmaxKernels& softmax_kernels_portable() {
  static constinit const SoftmaxKernels k{softmax_rows, log_softmax_rows};
  return k;
}

}  // namespace sinter::kernels::detail
