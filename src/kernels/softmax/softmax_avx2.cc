// The AVX2+FMA tier of softmax: one row at a time, 8 lanes, exp by avx2::exp_ps.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/softmax/softmax.h"

namespace sinter::kernels::detail {

namespace {
using namespace avx2;

// NaN-propagating maximum of a row (a NaN lane is remembered in a separate mask because
// max_ps drops NaN in one operand order or the other).
float row_max(const float* x, int64_t cols) {
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
  __m256 nan = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= cols; j += 16) {
    __m256 a = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(x + j + 8);
    m0 = _mm256_max_ps(m0, a);
    m1 = _mm256_max_ps(m1, b);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
  }
  float m = hmax_ps(_mm256_max_ps(m0, m1));
  bool has_nan = _mm256_movemask_ps(nan) != 0;
  for (; j < cols; ++j) {
    m = x[j] > m ? x[j] : m;
    has_nan |= x[j] != x[j];
  }
  return has_nan ? NAN : m;
}

// Sum of exp(x - m); stores the exponentials when y is not null. Four accumulators hide the
// add latency; the final combination order is fixed.
float exp_sum(const float* x, float* y, int64_t cols, float m) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t j = 0;
  for (; j + 16 <= cols; j += 16) {
    __m256 e0 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
    __m256 e1 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm));
    if (y) {
      _mm256_storeu_ps(y + j, e0);
      _mm256_storeu_ps(y + j + 8, e1);
    }
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  for (; j < cols; j += 8) {
    __m256i mask = tail_mask(cols - j);
    __m256 e = exp_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j, mask), vm));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
    if (y) _mm256_maskstore_ps(y + j, mask, e);
    s0 = _mm256_add_ps(s0, e);
  }
  return hsum_ps(_mm256_add_ps(s0, s1));
}

void softmax_row(const float* x, float* y, int64_t cols) {
  const float m = row_max(x, cols);
  const float sum = exp_sum(x, y, cols, m);
  const __m256 scale = _mm256_set1_ps(1.0f / sum);
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8)
    _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(y + j), scale));
  if (j < cols) {
    __m256i mask = tail_mask(cols - j);
    _mm256_maskstore_ps(y + j, mask, _mm256_mul_ps(_mm256_maskload_ps(y + j, mask), scale));
  }
}

void log_softmax_row(const float* x, float* y, int64_t cols) {
  const float m = row_max(x, cols);
  const float lse = std::log(exp_sum(x, nullptr, cols, m));
  const __m256 vm = _mm256_set1_ps(m), vl = _mm256_set1_ps(lse);
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8)
    _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vl));
  if (j < cols) {
    __m256i mask = tail_mask(cols - j);
    __m256 v = _mm256_maskload_ps(x + j, mask);
    _mm256_maskstore_ps(y + j, mask, _mm256_sub_ps(_mm256_sub_ps(v, vm), vl));
  }
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * cols, y + r * cols, cols);
}
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) log_softmax_row(x + r * cols, y + r * cols, cols);
}
}  // namespace

const SoftmaxKernels& softmax_kernels_avx2() {
  static constinit const SoftmaxKernels k{softmax_rows, log_softmax_rows};
  return k;
}

}  // namespace sinter::kernels::detail
