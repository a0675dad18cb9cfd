#include <cmath>

#include "kernels/norm/batch_norm_training.h"

namespace sinter::kernels {

namespace {
// Offset of x[n, c, 0] in the [N, C, S] view.
int64_t run_start(const BatchNormDims& d, int64_t n, int64_t c) {
  return (n * d.channels + c) * d.spatial;
}
}  // namespace

void batch_norm_training_forward_reference(const BatchNormDims& d, const float* x,
                                           const float* scale, const float* bias, float epsilon,
                                           float* y, float* mean, float* var, float* inv_std) {
  const double m = static_cast<double>(d.per_channel());
  for (int64_t c = 0; c < d.channels; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < d.batch; ++n)
      for (int64_t s = 0; s < d.spatial; ++s) sum += x[run_start(d, n, c) + s];
    const double mu = sum / m;
    double sq = 0;
    for (int64_t n = 0; n < d.batch; ++n)
      for (int64_t s = 0; s < d.spatial; ++s) sq += std::pow(x[run_start(d, n, c) + s] - mu, 2);
    const double v = sq / m, r = 1 / std::sqrt(v + epsilon);
    for (int64_t n = 0; n < d.batch; ++n)
      for (int64_t s = 0; s < d.spatial; ++s) {
        const int64_t i = run_start(d, n, c) + s;
        y[i] = static_cast<float>((x[i] - mu) * r * scale[c] + bias[c]);
      }
    mean[c] = static_cast<float>(mu);
    var[c] = static_cast<float>(v);
    inv_std[c] = static_cast<float>(r);
  }
}

void batch_norm_training_backward_reference(const BatchNormDims& d, const float* dy, const float* x,
                                            const float* scale, const float* mean,
                                            const float* inv_std, float* dx, float* dscale,
                                            float* dbias) {
  const double m = static_cast<double>(d.per_channel());
  for (int64_t c = 0; c < d.channels; ++c) {
    const double mu = mean[c], r = inv_std[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < d.batch; ++n)
      for (int64_t s = 0; s < d.spatial; ++s) {
        const int64_t i = run_start(d, n, c) + s;
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * (x[i] - mu) * r;
      }
    if (dbias) dbias[c] = static_cast<float>(sum_dy);
    if (dscale) dscale[c] = static_cast<float>(sum_dy_xhat);
    if (!dx) continue;
    for (int64_t n = 0; n < d.batch; ++n)
      for (int64_t s = 0; s < d.spatial; ++s) {
        const int64_t i = run_start(d, n, c) + s;
        const double xhat = (x[i] - mu) * r;
        dx[i] = static_cast<float>(scale[c] * r / m * (m * dy[i] - sum_dy - xhat * sum_dy_xhat));
      }
  }
}

}  // namespace sinter::kernels
