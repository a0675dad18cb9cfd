// Row normalization by definition, in double.
#include <cmath>

#include "kernels/norm/row_norm.h"

namespace sinter::kernels {

void normalize_rows_reference(const RowNormParams& p, const float* x, const float* scale,
                              const float* bias, float* y, float* mean_out, float* inv_out) {
  const int64_t n = p.cols, run = p.per_column ? n : n / p.segments;
  for (int64_t r = 0; r < p.rows; ++r) {
    const float* row = x + r * n;
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) sum += row[i];
    const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
    for (int64_t i = 0; i < n; ++i) sq += (row[i] - mean) * (row[i] - mean);
    const double var = n > 0 ? sq / static_cast<double>(n) : 0.0;
    const double inv_std = 1.0 / std::sqrt(var + p.epsilon);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = p.per_column ? i : (r % p.period) * p.segments + i / run;
      const double b = bias ? bias[k] : 0.0;
      y[r * n + i] = static_cast<float>((row[i] - mean) * inv_std * scale[k] + b);
    }
    if (mean_out) mean_out[r] = static_cast<float>(mean);
    if (inv_out) inv_out[r] = static_cast<float>(inv_std);
  }
}

}  // namespace sinter::kernels
