// The AVX-512 tier of softmax: softmax_avx2.cc on 16 lanes, with avx512::exp_ps (the AVX2
// polynomial) and __mmask16 tails. Sums are in float over two vector accumulators, combined in a
// fixed order, so a row's result does not depend on where the row sits or on the thread count.
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/vec_math_avx512.h"
#include "kernels/softmax/softmax.h"

namespace sinter::kernels::detail {

namespace {
using namespace avx512;

// NaN-propagating maximum of a row: max_ps drops a NaN in one operand order or the other, so a
// NaN lane is remembered in a separate mask.
float row_max(const float* x, int64_t cols) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  __m512 m0 = neg_inf, m1 = neg_inf;
  __mmask16 nan = 0;
  int64_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    __m512 a = _mm512_loadu_ps(x + j), b = _mm512_loadu_ps(x + j + 16);
    m0 = _mm512_max_ps(m0, a);
    m1 = _mm512_max_ps(m1, b);
    nan |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q);
  }
  for (; j < cols; j += 16) {
    const __mmask16 mask = tail_mask(cols - j < 16 ? cols - j : 16);
    __m512 a = _mm512_mask_loadu_ps(neg_inf, mask, x + j);
    m0 = _mm512_max_ps(m0, a);
    nan |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
  }
  return nan ? NAN : hmax_ps(_mm512_max_ps(m0, m1));
}

// Sum of exp(x - m); stores the exponentials when y is not null.
float exp_sum(const float* x, float* y, int64_t cols, float m) {
  const __m512 vm = _mm512_set1_ps(m);
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  int64_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    __m512 e0 = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm));
    __m512 e1 = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vm));
    if (y) {
      _mm512_storeu_ps(y + j, e0);
      _mm512_storeu_ps(y + j + 16, e1);
    }
    s0 = _mm512_add_ps(s0, e0);
    s1 = _mm512_add_ps(s1, e1);
  }
  for (; j < cols; j += 16) {
    const __mmask16 mask = tail_mask(cols - j < 16 ? cols - j : 16);
    __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + j), vm));
    e = _mm512_maskz_mov_ps(mask, e);
    if (y) _mm512_mask_storeu_ps(y + j, mask, e);
    s0 = _mm512_add_ps(s0, e);
  }
  return hsum_ps(_mm512_add_ps(s0, s1));
}

void softmax_row(const float* x, float* y, int64_t cols) {
  const float m = row_max(x, cols);
  const float sum = exp_sum(x, y, cols, m);
  const __m512 scale = _mm512_set1_ps(1.0f / sum);
  int64_t j = 0;
  for (; j + 16 <= cols; j += 16)
    _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), scale));
  if (j < cols) {
    const __mmask16 mask = tail_mask(cols - j);
    _mm512_mask_storeu_ps(y + j, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, y + j), scale));
  }
}

void log_softmax_row(const float* x, float* y, int64_t cols) {
  const float m = row_max(x, cols);
  const float lse = std::log(exp_sum(x, nullptr, cols, m));
  const __m512 vm = _mm512_set1_ps(m), vl = _mm512_set1_ps(lse);
  int64_t j = 0;
  for (; j + 16 <= cols; j += 16)
    _mm512_storeu_ps(y + j, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm), vl));
  if (j < cols) {
    const __mmask16 mask = tail_mask(cols - j);
    __m512 v = _mm512_maskz_loadu_ps(mask, x + j);
    _mm512_mask_storeu_ps(y + j, mask, _mm512_sub_ps(_mm512_sub_ps(v, vm), vl));
  }
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * cols, y + r * cols, cols);
}
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) log_softmax_row(x + r * cols, y + r * cols, cols);
}
}  // namespace

const SoftmaxKernels& softmax_kernels_avx512() {
  // constinit: the table is data, so asking for it runs no AVX-512 code on any CPU.
  static constinit const SoftmaxKernels k{softmax_rows, log_softmax_rows};
  return k;
}

}  // namespace sinter::kernels::detail
