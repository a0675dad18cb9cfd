// The per-run loops of batch normalization in plain C++: kLanes independent float partial sums
// per sum, so the compiler can vectorize them without reassociating one accumulator, flushed
// into double every kBlockValues values.
#include <algorithm>

#include "kernels/norm/batch_norm_training.h"

namespace sinter::kernels::detail {

namespace {

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

}  // namespace

const BatchNormRunLoops& batch_norm_run_loops_portable() {
  static constexpr BatchNormRunLoops loops = {run_sum_portable, run_deviation_sums_portable,
                                              run_gradient_sums_portable, run_normalize_portable,
                                              run_input_gradient_portable};
  return loops;
}

}  // namespace sinter::kernels::detail
