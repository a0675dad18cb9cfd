// The sparse convolutions' epilogue: flat sums to output rows, with bias, residual and activation.
#include <immintrin.h>

#include "kernels/eltwise/activation_avx2.h"
#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void finish_shifted_planes_avx2(const Conv2dShape& s, int64_t row_length, const float* flat,
                                int64_t flat_size, int64_t oy0, int64_t oy1, const float* bias,
                                const float* residual, const Activation& act, float* y, int64_t m0,
                                int64_t m1) {
  const kernels::avx2::VecActivation vact(act);
  const int64_t OW = s.OW(), plane = s.OH() * OW;
  for (int64_t m = m0; m < m1; ++m) {
    const __m256 b = _mm256_set1_ps(bias ? bias[m] : 0.0f);
    const float* sums = flat + (m - m0) * flat_size;
    float* out = y + (m - m0) * plane;
    const float* res = residual ? residual + (m - m0) * plane : nullptr;
    auto finish8 = [&](int64_t oy, int64_t ox) {
      __m256 v = _mm256_add_ps(_mm256_loadu_ps(sums + (oy - oy0) * row_length + ox), b);
      if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + oy * OW + ox));
      _mm256_storeu_ps(out + oy * OW + ox, vact(v));
    };
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      if (OW < 8) {
        __m256 v =
            _mm256_add_ps(kernels::avx2::load_partial(sums + (oy - oy0) * row_length, OW), b);
        if (res) v = _mm256_add_ps(v, kernels::avx2::load_partial(res + oy * OW, OW));
        kernels::avx2::store_partial(out + oy * OW, vact(v), OW);
        continue;
      }
      int64_t ox = 0;
      for (; ox + 8 <= OW; ox += 8) finish8(oy, ox);
      // The row's last 8 again, overlapping: each output is a function of its own inputs only.
      if (ox < OW) finish8(oy, OW - 8);
    }
  }
}

}  // namespace sinter::detail
