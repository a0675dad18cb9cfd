// The fused kernels: per channel, the sums over its runs (float partial sums flushed into
// double), then one element-wise pass over the same runs, still in cache. The loops over one run
// are AVX2 (batch_norm_training_avx2.cc) or the portable ones here, chosen at run time.
#include "kernels/norm/batch_norm_training.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_features.h"

namespace sinter::kernels {

namespace {

using detail::kBlockValues;

// Values below which a second thread costs more than it saves.
constexpr int64_t kParallelGrain = 16 * 1024;

// Portable loops: kLanes independent float partial sums per sum, so the compiler can vectorize
// them without reassociating one accumulator.
constexpr int64_t kLanes = 8;

double lanes_total(const float (&lane)[kLanes]) {
  double t = 0;
  for (float v : lane) t += v;
  return t;
}

double run_sum_portable(const float* x, int64_t n) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlockValues) {
    const int64_t e = std::min(n, b + kBlockValues);
    float lane[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= e; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) lane[j] += x[i + j];
    for (int64_t j = 0; i < e; ++i, ++j) lane[j] += x[i];
    total += lanes_total(lane);
  }
  return total;
}

void run_deviation_sums_portable(const float* x, int64_t n, float m, double& dev, double& sq) {
  for (int64_t b = 0; b < n; b += kBlockValues) {
    const int64_t e = std::min(n, b + kBlockValues);
    float d[kLanes] = {}, s[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= e; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const float t = x[i + j] - m;
        d[j] += t;
        s[j] += t * t;
      }
    for (int64_t j = 0; i < e; ++i, ++j) {
      const float t = x[i] - m;
      d[j] += t;
      s[j] += t * t;
    }
    dev += lanes_total(d);
    sq += lanes_total(s);
  }
}

void run_gradient_sums_portable(const float* dy, const float* x, int64_t n, float m, double& sum_dy,
                                double& sum_dy_xc) {
  for (int64_t b = 0; b < n; b += kBlockValues) {
    const int64_t e = std::min(n, b + kBlockValues);
    float g[kLanes] = {}, p[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= e; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        g[j] += dy[i + j];
        p[j] += dy[i + j] * (x[i + j] - m);
      }
    for (int64_t j = 0; i < e; ++i, ++j) {
      g[j] += dy[i];
      p[j] += dy[i] * (x[i] - m);
    }
    sum_dy += lanes_total(g);
    sum_dy_xc += lanes_total(p);
  }
}

void run_normalize_portable(const float* x, int64_t n, float m, float a, float b, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * a + b;
}

void run_input_gradient_portable(const float* dy, const float* x, int64_t n, float m, float a,
                                 float k, float b, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = a * dy[i] + k * (x[i] - m) + b;
}

// The loops over one run, as declared in the header's detail namespace.
struct RunLoops {
  double (*sum)(const float*, int64_t);
  void (*deviation_sums)(const float*, int64_t, float, double&, double&);
  void (*gradient_sums)(const float*, const float*, int64_t, float, double&, double&);
  void (*normalize)(const float*, int64_t, float, float, float, float*);
  void (*input_gradient)(const float*, const float*, int64_t, float, float, float, float, float*);
};

const RunLoops& run_loops() {
  static const RunLoops portable = {run_sum_portable, run_deviation_sums_portable,
                                    run_gradient_sums_portable, run_normalize_portable,
                                    run_input_gradient_portable};
  static const RunLoops avx2 = {detail::run_sum_avx2, detail::run_deviation_sums_avx2,
                                detail::run_gradient_sums_avx2, detail::run_normalize_avx2,
                                detail::run_input_gradient_avx2};
  return cpu_features().has_avx2_fma() ? avx2 : portable;
}

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

void batch_norm_training_forward(const BatchNormDims& d, const float* x, const float* scale,
                                 const float* bias, float epsilon, float* y, float* mean,
                                 float* var, float* inv_std, ThreadPool* pool) {
  const int64_t S = d.spatial, C = d.channels;
  const double count = static_cast<double>(d.per_channel());
  const RunLoops& loops = run_loops();
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

void batch_norm_training_backward(const BatchNormDims& d, const float* dy, const float* x,
                                  const float* scale, const float* mean, const float* inv_std,
                                  float* dx, float* dscale, float* dbias, ThreadPool* pool) {
  const int64_t S = d.spatial, C = d.channels;
  const double count = static_cast<double>(d.per_channel());
  const RunLoops& loops = run_loops();
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

}  // namespace sinter::kernels
