// The per-run loops with AVX-512: two accumulators of 16 floats per sum (to hide the add
// latency), flushed into double every kBlockValues values; tails through masked loads and
// stores.
#include <immintrin.h>

#include <algorithm>

#include "kernels/norm/batch_norm_training.h"

namespace sinter::kernels::detail {

namespace {

inline __mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }

// Sum of the 16 lanes in double, in a fixed order.
double total(__m512 v) {
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
  const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
  return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}

// Loads of whole vectors, and of a tail of fewer than 16 values (zeros in the other lanes);
// keep(v) zeroes a computed vector's lanes past the tail.
struct Whole {
  __m512 load(const float* p) const { return _mm512_loadu_ps(p); }
  __m512 keep(__m512 v) const { return v; }
};
struct Tail {
  __mmask16 mask;
  __m512 load(const float* p) const { return _mm512_maskz_loadu_ps(mask, p); }
  __m512 keep(__m512 v) const { return _mm512_maskz_mov_ps(mask, v); }
};

// Calls body(i, lanes, k) over [0, n) in steps of 16, alternating accumulator k between 0 and
// 1, and flush() after every kBlockValues values and at the end.
template <class Body, class Flush>
void blocked(int64_t n, const Body& body, const Flush& flush) {
  for (int64_t b = 0; b < n; b += kBlockValues) {
    const int64_t e = std::min(n, b + kBlockValues);
    int64_t i = b;
    for (; i + 32 <= e; i += 32) {
      body(i, Whole{}, 0);
      body(i + 16, Whole{}, 1);
    }
    for (; i + 16 <= e; i += 16) body(i, Whole{}, 0);
    if (i < e) body(i, Tail{tail_mask(e - i)}, 1);
    flush();
  }
}

double run_sum(const float* x, int64_t n) {
  __m512 s[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  double sum = 0;
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) { s[k] = _mm512_add_ps(s[k], lanes.load(x + i)); },
      [&] {
        sum += total(_mm512_add_ps(s[0], s[1]));
        s[0] = s[1] = _mm512_setzero_ps();
      });
  return sum;
}

void run_deviation_sums(const float* x, int64_t n, float m, double& dev, double& sq) {
  const __m512 vm = _mm512_set1_ps(m);
  __m512 d[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()}, s[2] = {d[0], d[0]};
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) {
        const __m512 t = lanes.keep(_mm512_sub_ps(lanes.load(x + i), vm));
        d[k] = _mm512_add_ps(d[k], t);
        s[k] = _mm512_fmadd_ps(t, t, s[k]);
      },
      [&] {
        dev += total(_mm512_add_ps(d[0], d[1]));
        sq += total(_mm512_add_ps(s[0], s[1]));
        d[0] = d[1] = s[0] = s[1] = _mm512_setzero_ps();
      });
}

void run_gradient_sums(const float* dy, const float* x, int64_t n, float m, double& sum_dy,
                       double& sum_dy_xc) {
  const __m512 vm = _mm512_set1_ps(m);
  __m512 g[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()}, p[2] = {g[0], g[0]};
  blocked(
      n,
      [&](int64_t i, const auto& lanes, int k) {
        const __m512 vdy = lanes.load(dy + i);  // 0 past a tail: no term there
        g[k] = _mm512_add_ps(g[k], vdy);
        p[k] = _mm512_fmadd_ps(vdy, _mm512_sub_ps(lanes.load(x + i), vm), p[k]);
      },
      [&] {
        sum_dy += total(_mm512_add_ps(g[0], g[1]));
        sum_dy_xc += total(_mm512_add_ps(p[0], p[1]));
        g[0] = g[1] = p[0] = p[1] = _mm512_setzero_ps();
      });
}

void run_normalize(const float* x, int64_t n, float m, float a, float b, float* y) {
  const __m512 vm = _mm512_set1_ps(m), va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), va, vb));
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        y + i, mask,
        _mm512_fmadd_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), vm), va, vb));
  }
}

void run_input_gradient(const float* dy, const float* x, int64_t n, float m, float a, float k,
                        float b, float* dx) {
  const __m512 vm = _mm512_set1_ps(m), va = _mm512_set1_ps(a), vk = _mm512_set1_ps(k),
               vb = _mm512_set1_ps(b);
  auto at = [&](__m512 vdy, __m512 vx) {
    return _mm512_fmadd_ps(va, vdy, _mm512_fmadd_ps(vk, _mm512_sub_ps(vx, vm), vb));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dx + i, at(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        dx + i, mask, at(_mm512_maskz_loadu_ps(mask, dy + i), _mm512_maskz_loadu_ps(mask, x + i)));
  }
}

}  // namespace

const BatchNormRunLoops& batch_norm_run_loops_avx512() {
  static constexpr BatchNormRunLoops loops = {run_sum, run_deviation_sums, run_gradient_sums,
                                              run_normalize, run_input_gradient};
  return loops;
}

}  // namespace sinter::kernels::detail
