// The AVX-512 tier of the blocked max pool: one vector per tap, NaNs tracked in a mask (vmaxps
// alone would drop a NaN once it is the running maximum).
#include <immintrin.h>

#include <cmath>

#include "kernels/blocked/blocked_max_pool.h"

namespace sinter::kernels::detail {

namespace {
void max_pool_row(const Pool2dParams& p, const float* x, int64_t oh, float* y) {
  constexpr int64_t kB = kChannelBlock;
  int64_t kh0 = 0, kh1 = p.kernel_h;
  const int64_t ih0 = oh * p.stride_h - p.pad_top;
  while (kh0 < kh1 && ih0 + kh0 * p.dilation_h < 0) ++kh0;
  while (kh1 > kh0 && ih0 + (kh1 - 1) * p.dilation_h >= p.in_h) --kh1;
  const int64_t OW = p.out_w();
  for (int64_t ow = 0; ow < OW; ++ow) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    const int64_t iw0 = ow * p.stride_w - p.pad_left;
    for (int64_t kh = kh0; kh < kh1; ++kh) {
      const float* row = x + (ih0 + kh * p.dilation_h) * p.in_w * kB;
      for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
        const int64_t iw = iw0 + kw * p.dilation_w;
        if (iw < 0 || iw >= p.in_w) continue;
        const __m512 v = _mm512_loadu_ps(row + iw * kB);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_max_ps(m, v);
      }
    }
    _mm512_storeu_ps(y + ow * kB, _mm512_mask_mov_ps(m, nan, _mm512_set1_ps(NAN)));
  }
}
}  // namespace

const BlockedPoolKernels& blocked_pool_kernels_avx512() {
  static const BlockedPoolKernels k{max_pool_row};
  return k;
}

}  // namespace sinter::kernels::detail
