// The direct small-channel convolution's row kernel: 4 output channels x NV vectors of 8 output
// columns held in registers while every tap streams past.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_direct.h"
#include "kernels/eltwise/activation_avx2.h"
#include "kernels/eltwise/vec_math_avx2.h"

namespace sinter {

namespace {

constexpr int kBlock = 4;

template <int NV>
void columns(const Conv2dShape& s, const DirectConvLayout& l, const float* base, const float* w,
             int64_t m0, int64_t ox, const float* bias, const float* residual,
             const Activation& activation, float* y_row, int64_t plane) {
  // acc[m][v] = sum over taps of w[tap][m] * in[tap][8v .. 8v+7], in named registers: GCC
  // stores an array of accumulators back to the stack in every tap.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t* tap_offset = l.tap_offset.data();
  base += ox;
  for (int64_t t = 0; t < taps; ++t) {
    const float* src = base + tap_offset[t];
    const __m256 in0 = _mm256_loadu_ps(src);
    const __m256 in1 = NV > 1 ? _mm256_loadu_ps(src + 8) : in0;
    const __m256 in2 = NV > 2 ? _mm256_loadu_ps(src + 16) : in0;
#define SINTER_CHANNEL(m)                                              \
  {                                                                    \
    const __m256 wm = _mm256_broadcast_ss(w + t * kBlock + m);         \
    c##m##0 = _mm256_fmadd_ps(wm, in0, c##m##0);                       \
    if constexpr (NV > 1) c##m##1 = _mm256_fmadd_ps(wm, in1, c##m##1); \
    if constexpr (NV > 2) c##m##2 = _mm256_fmadd_ps(wm, in2, c##m##2); \
  }
    SINTER_CHANNEL(0)
    SINTER_CHANNEL(1)
    SINTER_CHANNEL(2)
    SINTER_CHANNEL(3)
#undef SINTER_CHANNEL
  }
  const __m256 acc[kBlock][3] = {
      {c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
  // Built here, not once per row: its vectors would stay live through the tap loop and push
  // accumulators onto the stack.
  const kernels::avx2::VecActivation act(activation);
  const int64_t OW = s.OW();
  for (int m = 0; m < kBlock && m0 + m < s.M; ++m) {
    const __m256 b = _mm256_set1_ps(bias ? bias[m0 + m] : 0.0f);
    float* dst = y_row + (m0 + m) * plane + ox;
    const float* res = residual ? residual + (dst - y_row) : nullptr;
    for (int v = 0; v < NV; ++v) {
      const int64_t left = OW - ox - 8 * v;
      __m256 r = _mm256_add_ps(acc[m][v], b);
      if (left >= 8) {
        if (res) r = _mm256_add_ps(r, _mm256_loadu_ps(res + 8 * v));
        _mm256_storeu_ps(dst + 8 * v, act(r));
      } else {
        if (res) r = _mm256_add_ps(r, kernels::avx2::load_partial(res + 8 * v, left));
        kernels::avx2::store_partial(dst + 8 * v, act(r), left);
      }
    }
  }
}

void rows(const Conv2dShape& s, const DirectConvLayout& l, const float* padded,
          const float* packed_w, const float* bias, const float* residual, const Activation& act,
          float* y, int64_t plane, int64_t oy0, int64_t oy1) {
  const int64_t OW = s.OW();
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t vectors = (OW + 7) / 8;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* base = padded + oy * l.row_step;
    float* y_row = y + (oy - oy0) * OW;
    const float* r_row = residual ? residual + (oy - oy0) * OW : nullptr;
    for (int64_t b = 0; b < l.blocks; ++b) {
      const float* w = packed_w + b * taps * kBlock;
      const int64_t m0 = b * kBlock;
      int64_t v = 0;
      for (; v + 3 <= vectors; v += 3)
        columns<3>(s, l, base, w, m0, 8 * v, bias, r_row, act, y_row, plane);
      if (vectors - v == 2) columns<2>(s, l, base, w, m0, 8 * v, bias, r_row, act, y_row, plane);
      if (vectors - v == 1) columns<1>(s, l, base, w, m0, 8 * v, bias, r_row, act, y_row, plane);
    }
  }
}

}  // namespace

namespace detail {
const DirectConvKernels& direct_conv_kernels_avx2() {
  static const DirectConvKernels k{rows};
  return k;
}
}  // namespace detail

}  // namespace sinter
