#include <cmath>

#include "kernels/softmax/softmax.h"

namespace sinter::kernels {

namespace {
// Subtracting the row maximum keeps exp() from overflowing; a NaN anywhere makes the row NaN.
float row_max(const float* x, int64_t cols) {
  float m = -INFINITY;
  for (int64_t j = 0; j < cols; ++j) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
  return m;
}
}  // namespace

void softmax_reference(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = row_max(xr, cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      yr[j] = std::exp(xr[j] - m);
      sum += yr[j];
    }
    for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>(yr[j] / sum);
  }
}

void log_softmax_reference(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = row_max(xr, cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(xr[j] - m));
    const double lse = std::log(sum);
    for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>((xr[j] - m) - lse);
  }
}

}  // namespace sinter::kernels
