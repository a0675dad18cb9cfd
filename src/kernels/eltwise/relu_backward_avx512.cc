// The AVX-512 tier of relu_backward: 16 gradients per compare into a mask, a masked tail.
#include <immintrin.h>

#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels::detail {

namespace {
void relu_backward_avx512(const float* dy, const float* y, float* dx, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 keep = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + i), zero, _CMP_GT_OQ);
    _mm512_storeu_ps(dx + i, _mm512_maskz_loadu_ps(keep, dy + i));
  }
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __mmask16 keep =
        _mm512_mask_cmp_ps_mask(tail, _mm512_maskz_loadu_ps(tail, y + i), zero, _CMP_GT_OQ);
    _mm512_mask_storeu_ps(dx + i, tail, _mm512_maskz_loadu_ps(keep, dy + i));
  }
}
}  // namespace

const ReluBackwardKernels& relu_backward_kernels_avx512() {
  static constinit const ReluBackwardKernels k{relu_backward_avx512};
  return k;
}

}  // namespace sinter::kernels::detail
