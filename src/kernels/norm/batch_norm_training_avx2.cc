// The per-run loops with AVX2+FMA: two accumulators of 8 floats per sum (to hide the add
// latency), flushed into double every kBlockValues values; tails through masked loads.
#include <immintrin.h>

#include <algorithm>

#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/norm/batch_norm_training.h"

namespace sinter::kernels::detail {

namespace {
using avx2::tail_mask;

// Sum of the 8 lanes in double, in a fixed order.
double total(__m256 v) {
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  alignas(32) double d[4];
  _mm256_store_pd(d, _mm256_add_pd(lo, hi));
  return (d[0] + d[1]) + (d[2] + d[3]);
}

// Loads of whole vectors, and of a tail of fewer than 8 values (zeros in the other lanes);
// keep(v) zeroes a computed vector's lanes past the tail.
struct Whole {
  __m256 load(const float* p) const { return _mm256_loadu_ps(p); }
  __m256 keep(__m256 v) const { return v; }
};
struct Tail {
  __m256i mask;
  __m256 load(const float* p) const { return _mm256_maskload_ps(p, mask); }
  __m256 keep(__m256 v) const { return _mm256_and_ps(v, _mm256_castsi256_ps(mask)); }
};

// Calls body(i, lanes, k) over [0, n) in steps of 8, alternating accumulator k between 0 and 1,
// and flush() after every kBlockValues values and at the end.
template <class Body, class Flush>
void blocked(int64_t n, const Body& body, const Flush& flush) {
  for (int64_t b = 0; b < n; b += kBlockValues) {
    const int64_t e = std::min(n, b + kBlockValues);
    int64_t i = b;
    for (; i + 16 <= e; i += 16) {
      body(i, Whole{}, 0);
      body(i + 8, Whole{}, 1);
    }
    for (; i + 8 <= e; i += 8) body(i, Whole{}, 0);
    if (i < e) body(i, Tail{tail_mask(e - i)}, 1);
    flush();
  }
}

double run_sum_avx2(const float* x, int64_t n) {
  __m256 s[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  double sum = 0;
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) { s[k] = _mm256_add_ps(s[k], lanes.load(x + i)); },
      [&] {
        sum += total(_mm256_add_ps(s[0], s[1]));
        s[0] = s[1] = _mm256_setzero_ps();
      });
  return sum;
}

void run_deviation_sums_avx2(const float* x, int64_t n, float m, double& dev, double& sq) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256 d[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, s[2] = {d[0], d[0]};
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) {
        const __m256 t = lanes.keep(_mm256_sub_ps(lanes.load(x + i), vm));
        d[k] = _mm256_add_ps(d[k], t);
        s[k] = _mm256_fmadd_ps(t, t, s[k]);
      },
      [&] {
        dev += total(_mm256_add_ps(d[0], d[1]));
        sq += total(_mm256_add_ps(s[0], s[1]));
        d[0] = d[1] = s[0] = s[1] = _mm256_setzero_ps();
      });
}

void run_gradient_sums_avx2(const float* dy, const float* x, int64_t n, float m, double& sum_dy,
                            double& sum_dy_xc) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256 g[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, p[2] = {g[0], g[0]};
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) {
        const __m256 vdy = lanes.load(dy + i);  // 0 past a tail: no term there
        g[k] = _mm256_add_ps(g[k], vdy);
        p[k] = _mm256_fmadd_ps(vdy, _mm256_sub_ps(lanes.load(x + i), vm), p[k]);
      },
      [&] {
        sum_dy += total(_mm256_add_ps(g[0], g[1]));
        sum_dy_xc += total(_mm256_add_ps(p[0], p[1]));
        g[0] = g[1] = p[0] = p[1] = _mm256_setzero_ps();
      });
}

void run_normalize_avx2(const float* x, int64_t n, float m, float a, float b, float* y) {
  const __m256 vm = _mm256_set1_ps(m), va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), va, vb));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(
        y + i, mask, _mm256_fmadd_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), vm), va, vb));
  }
}

void run_input_gradient_avx2(const float* dy, const float* x, int64_t n, float m, float a, float k,
                             float b, float* dx) {
  const __m256 vm = _mm256_set1_ps(m), va = _mm256_set1_ps(a), vk = _mm256_set1_ps(k),
               vb = _mm256_set1_ps(b);
  auto at = [&](__m256 vdy, __m256 vx) {
    return _mm256_fmadd_ps(va, vdy, _mm256_fmadd_ps(vk, _mm256_sub_ps(vx, vm), vb));
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, at(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(dx + i, mask,
                        at(_mm256_maskload_ps(dy + i, mask), _mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace

const BatchNormRunLoops& batch_norm_run_loops_avx2() {
  static constexpr BatchNormRunLoops loops = {run_sum_avx2, run_deviation_sums_avx2,
                                              run_gradient_sums_avx2, run_normalize_avx2,
                                              run_input_gradient_avx2};
  return loops;
}

}  // namespace sinter::kernels::detail
