// The direct small-channel convolution's row kernel at AVX-512: 4 output channels x NV vectors of
// 16 output columns held in registers while every tap streams past (the AVX2 kernel's blocking
// at twice the width).
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_direct.h"
#include "kernels/eltwise/activation_avx512.h"

namespace sinter {
namespace {

constexpr int kBlock = 4, kLanes = 16;

template <int NV>
void columns(const Conv2dShape& s, const DirectConvLayout& l, const float* base, const float* w,
             int64_t m0, int64_t ox, const float* bias, const float* residual,
             const kernels::avx512::VecActivation& act, float* y_row, int64_t plane) {
  // acc[m][v] = sum over taps of w[tap][m] * in[tap][16v .. 16v+15]: all in registers.
  __m512 acc[kBlock][NV];
  for (int m = 0; m < kBlock; ++m)
    for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_setzero_ps();
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t* tap_offset = l.tap_offset.data();
  base += ox;
  for (int64_t t = 0; t < taps; ++t) {
    const float* src = base + tap_offset[t];
    __m512 in[NV];
    for (int v = 0; v < NV; ++v) in[v] = _mm512_loadu_ps(src + kLanes * v);
    for (int m = 0; m < kBlock; ++m) {
      const __m512 wm = _mm512_set1_ps(w[t * kBlock + m]);
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_fmadd_ps(wm, in[v], acc[m][v]);
    }
  }
  const int64_t OW = s.OW();
  for (int m = 0; m < kBlock && m0 + m < s.M; ++m) {
    const __m512 b = _mm512_set1_ps(bias ? bias[m0 + m] : 0.0f);
    float* dst = y_row + (m0 + m) * plane + ox;
    const float* res = residual ? residual + (dst - y_row) : nullptr;
    for (int v = 0; v < NV; ++v) {
      const int64_t left = OW - ox - kLanes * v;
      const __mmask16 lanes = left >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
      __m512 r = _mm512_add_ps(acc[m][v], b);
      if (res) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(lanes, res + kLanes * v));
      _mm512_mask_storeu_ps(dst + kLanes * v, lanes, act(r));
    }
  }
}

void rows(const Conv2dShape& s, const DirectConvLayout& l, const float* padded,
          const float* packed_w, const float* bias, const float* residual, const Activation& act,
          float* y, int64_t oy0, int64_t oy1) {
  const kernels::avx512::VecActivation vact(act);
  const int64_t OW = s.OW(), plane = s.OH() * OW;
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t vectors = (OW + kLanes - 1) / kLanes;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* base = padded + oy * l.row_step;
    float* y_row = y + oy * OW;
    const float* r_row = residual ? residual + oy * OW : nullptr;
    for (int64_t b = 0; b < l.blocks; ++b) {
      const float* w = packed_w + b * taps * kBlock;
      const int64_t m0 = b * kBlock;
      // Up to 4 vectors per pass (16 accumulators), never leaving a lone vector: its 4
      // accumulators could not cover the FMA latency.
      for (int64_t v = 0; v < vectors;) {
        const int64_t left = vectors - v, nv = left == 5 ? 3 : std::min<int64_t>(left, 4);
        const int64_t ox = kLanes * v;
        if (nv == 4) columns<4>(s, l, base, w, m0, ox, bias, r_row, vact, y_row, plane);
        if (nv == 3) columns<3>(s, l, base, w, m0, ox, bias, r_row, vact, y_row, plane);
        if (nv == 2) columns<2>(s, l, base, w, m0, ox, bias, r_row, vact, y_row, plane);
        if (nv == 1) columns<1>(s, l, base, w, m0, ox, bias, r_row, vact, y_row, plane);
        v += nv;
      }
    }
  }
}

}  // namespace

namespace detail {
const DirectConvKernels& direct_conv_kernels_avx512() {
  static const DirectConvKernels k{rows};
  return k;
}
}  // namespace detail

}  // namespace sinter
