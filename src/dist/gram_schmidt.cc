#include "dist/gram_schmidt.h"

#include <cmath>

namespace sinter {

void orthonormalize_columns(float* a, int64_t rows, int64_t cols) {
  auto dot = [&](int64_t c, int64_t d) {
    double s = 0;
    for (int64_t i = 0; i < rows; ++i) s += static_cast<double>(a[i * cols + c]) * a[i * cols + d];
    return s;
  };
  for (int64_t c = 0; c < cols; ++c) {
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t d = 0; d < c; ++d) {
        const auto along = static_cast<float>(dot(c, d));
        for (int64_t i = 0; i < rows; ++i) a[i * cols + c] -= along * a[i * cols + d];
      }
    }
    const double length = std::sqrt(dot(c, c));
    // Below 1e-30 the reciprocal would overflow a float.
    const float scale = length > 1e-30 ? static_cast<float>(1 / length) : 0.0f;
    for (int64_t i = 0; i < rows; ++i) a[i * cols + c] *= scale;
  }
}

}  // namespace sinter
