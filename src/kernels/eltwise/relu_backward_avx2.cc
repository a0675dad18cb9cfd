// The AVX2 tier of relu_backward: 8 gradients per compare-and-mask, a masked tail.
#include <immintrin.h>

#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels::detail {

namespace {
void relu_backward_avx2(const float* dy, const float* y, float* dx, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 keep = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(keep, _mm256_loadu_ps(dy + i)));
  }
  if (i < n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), lane);
    const __m256 keep = _mm256_cmp_ps(_mm256_maskload_ps(y + i, tail), zero, _CMP_GT_OQ);
    _mm256_maskstore_ps(dx + i, tail, _mm256_and_ps(keep, _mm256_maskload_ps(dy + i, tail)));
  }
}
}  // namespace

const ReluBackwardKernels& relu_backward_kernels_avx2() {
  static constinit const ReluBackwardKernels k{relu_backward_avx2};
  return k;
}

}  // namespace sinter::kernels::detail
