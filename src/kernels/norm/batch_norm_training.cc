// The fused kernels: per channel, the sums over its runs (float partial sums flushed into
// double), then one element-wise pass over the same runs, still in cache. The loops over one run
// are the active tier's (batch_norm_training_portable.cc, _avx2.cc, _avx512.cc).
#include "kernels/norm/batch_norm_training.h"

#include <algorithm>
#include <cmath>

namespace sinter::kernels {

namespace {

// Values below which a second thread costs more than it saves.
constexpr int64_t kParallelGrain = 16 * 1024;

// fn(c) for every channel, split over the pool when there is enough work for it.
template <class PerChannel>
void for_each_channel(const BatchNormDims& d, ThreadPool* pool, const PerChannel& fn) {
  const int64_t per_channel = std::max<int64_t>(d.per_channel(), 1);
  if (pool == nullptr || pool->num_threads() == 1 || d.channels < 2 ||
      d.channels * per_channel < 2 * kParallelGrain) {
    for (int64_t c = 0; c < d.channels; ++c) fn(c);
    return;
  }
  // Several chunks a thread: the machine may be shared, and a slow thread should not hold up
  // the rest.
  pool->parallel_range(
      d.channels, std::max<int64_t>(1, kParallelGrain / per_channel),
      [&](int64_t begin, int64_t end, int) {
        for (int64_t c = begin; c < end; ++c) fn(c);
      },
      4);
}

}  // namespace

const IsaTables<BatchNormRunLoops>& batch_norm_run_loops() {
  static const IsaTables<BatchNormRunLoops> tables = {&detail::batch_norm_run_loops_portable(),
                                                      &detail::batch_norm_run_loops_avx2(),
                                                      &detail::batch_norm_run_loops_avx512()};
  return tables;
}

void batch_norm_training_forward(const BatchNormDims& d, const float* x, const float* scale,
                                 const float* bias, float epsilon, float* y, float* mean,
                                 float* var, float* inv_std, ThreadPool* pool) {
  detail::batch_norm_training_forward(batch_norm_run_loops().active(), d, x, scale, bias, epsilon,
                                      y, mean, var, inv_std, pool);
}

void batch_norm_training_backward(const BatchNormDims& d, const float* dy, const float* x,
                                  const float* scale, const float* mean, const float* inv_std,
                                  float* dx, float* dscale, float* dbias, ThreadPool* pool) {
  detail::batch_norm_training_backward(batch_norm_run_loops().active(), d, dy, x, scale, mean,
                                       inv_std, dx, dscale, dbias, pool);
}

namespace detail {

void batch_norm_training_forward(const BatchNormRunLoops& loops, const BatchNormDims& d,
                                 const float* x, const float* scale, const float* bias,
                                 float epsilon, float* y, float* mean, float* var, float* inv_std,
                                 ThreadPool* pool) {
  const int64_t S = d.spatial, C = d.channels;
  const double count = static_cast<double>(d.per_channel());
  for_each_channel(d, pool, [&](int64_t c) {
    double sum = 0;
    for (int64_t n = 0; n < d.batch; ++n) sum += loops.sum(x + (n * C + c) * S, S);
    const float estimate = static_cast<float>(sum / count);
    double dev = 0, sq = 0;
    for (int64_t n = 0; n < d.batch; ++n)
      loops.deviation_sums(x + (n * C + c) * S, S, estimate, dev, sq);
    // The small deviations from the estimate correct it for the float sums of the first pass
    // (coarse when the mean is far from zero next to the spread), and sum((x - estimate)^2)
    // exceeds the sum around the mean by dev^2 / count.
    const double mu = estimate + dev / count;
    const double v = std::max(0.0, (sq - dev * dev / count) / count);
    const float m = static_cast<float>(mu), r = static_cast<float>(1 / std::sqrt(v + epsilon));
    // y = (x - m) * a + b, with b taking back what m rounds off mu.
    const float a = scale[c] * r;
    const float b = bias[c] - static_cast<float>(mu - m) * a;
    for (int64_t n = 0; n < d.batch; ++n)
      loops.normalize(x + (n * C + c) * S, S, m, a, b, y + (n * C + c) * S);
    mean[c] = m;
    var[c] = static_cast<float>(v);
    inv_std[c] = r;
  });
}

void batch_norm_training_backward(const BatchNormRunLoops& loops, const BatchNormDims& d,
                                  const float* dy, const float* x, const float* scale,
                                  const float* mean, const float* inv_std, float* dx, float* dscale,
                                  float* dbias, ThreadPool* pool) {
  const int64_t S = d.spatial, C = d.channels;
  const double count = static_cast<double>(d.per_channel());
  for_each_channel(d, pool, [&](int64_t c) {
    const float m = mean[c], r = inv_std[c];
    double sum_dy = 0, sum_dy_xc = 0;
    for (int64_t n = 0; n < d.batch; ++n) {
      const int64_t at = (n * C + c) * S;
      loops.gradient_sums(dy + at, x + at, S, m, sum_dy, sum_dy_xc);
    }
    const double sum_dy_xhat = sum_dy_xc * r;
    if (dbias) dbias[c] = static_cast<float>(sum_dy);
    if (dscale) dscale[c] = static_cast<float>(sum_dy_xhat);
    if (!dx) return;
    // dx = a*dy + k*(x - mean) + b, the formula of the header with its terms gathered.
    const double a = static_cast<double>(scale[c]) * r;
    const float af = static_cast<float>(a), k = static_cast<float>(-a * r * sum_dy_xhat / count),
                b = static_cast<float>(-a * sum_dy / count);
    for (int64_t n = 0; n < d.batch; ++n) {
      const int64_t at = (n * C + c) * S;
      loops.input_gradient(dy + at, x + at, S, m, af, k, b, dx + at);
    }
  });
}

}  // namespace detail

}  // namespace sinter::kernels
