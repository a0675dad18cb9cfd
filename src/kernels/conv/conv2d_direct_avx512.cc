// The direct small-channel convolution's row kernel at AVX-512: 8 output channels (two of the
// packing's blocks of 4) x up to 3 vectors of 16 output columns held in registers while every
// tap streams past.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_direct.h"
#include "kernels/eltwise/activation_avx512.h"

namespace sinter {
namespace {

constexpr int kBlock = 4, kLanes = 16;

// NB blocks of 4 output channels x NV vectors of 16 output columns, all in registers while every
// tap streams past: acc[m][v] = sum over taps of w[tap][m] * in[tap][16v .. 16v+15].
template <int NB, int NV>
void columns(const Conv2dShape& s, const DirectConvLayout& l, const float* base, const float* w,
             int64_t m0, int64_t ox, const float* bias, const float* residual,
             const Activation& activation, float* y_row, int64_t plane) {
  constexpr int MB = NB * kBlock;
  __m512 acc[MB][NV];
  for (int m = 0; m < MB; ++m)
    for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_setzero_ps();
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t* tap_offset = l.tap_offset.data();
  // Block b's weights for tap t sit at w + b * taps * 4 + t * 4 (the packing of conv2d_direct.cc).
  const float* w1 = w + taps * kBlock;
  base += ox;
  for (int64_t t = 0; t < taps; ++t) {
    const float* src = base + tap_offset[t];
    __m512 in[NV];
    for (int v = 0; v < NV; ++v) in[v] = _mm512_loadu_ps(src + kLanes * v);
    for (int m = 0; m < MB; ++m) {
      const __m512 wm =
          _mm512_set1_ps(m < kBlock ? w[t * kBlock + m] : w1[t * kBlock + m - kBlock]);
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_fmadd_ps(wm, in[v], acc[m][v]);
    }
  }
  // Built here, not once per row: its vectors would stay live through the tap loop and push
  // accumulators onto the stack.
  const kernels::avx512::VecActivation act(activation);
  const int64_t OW = s.OW();
  auto store = [&](auto apply) {
    for (int m = 0; m < MB && m0 + m < s.M; ++m) {
      const __m512 b = _mm512_set1_ps(bias ? bias[m0 + m] : 0.0f);
      float* dst = y_row + (m0 + m) * plane + ox;
      const float* res = residual ? residual + (dst - y_row) : nullptr;
      for (int v = 0; v < NV; ++v) {
        const int64_t left = OW - ox - kLanes * v;
        const __mmask16 lanes = left >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
        __m512 r = _mm512_add_ps(acc[m][v], b);
        if (res) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(lanes, res + kLanes * v));
        _mm512_mask_storeu_ps(dst + kLanes * v, lanes, apply(r));
      }
    }
  };
  // One branch on the activation per pass, not one per vector, for the stems' usual ones.
  switch (activation.kind) {
    case ActivationKind::kNone:
      return store([](__m512 r) { return r; });
    case ActivationKind::kRelu:
      return store([&](__m512 r) { return act.apply<ActivationKind::kRelu>(r); });
    case ActivationKind::kClip:
      return store([&](__m512 r) { return act.apply<ActivationKind::kClip>(r); });
    default:
      return store([&](__m512 r) { return act(r); });
  }
}

// One row of NB channel blocks: up to 24 accumulators a pass, never a lone vector when a pair
// fits (its accumulators could not cover the FMA latency).
template <int NB>
void row_blocks(const Conv2dShape& s, const DirectConvLayout& l, const float* base, const float* w,
                int64_t m0, const float* bias, const float* residual, const Activation& act,
                float* y_row, int64_t plane, int64_t vectors) {
  constexpr int64_t kMaxVectors = NB == 2 ? 3 : 4;
  for (int64_t v = 0; v < vectors;) {
    const int64_t left = vectors - v;
    const int64_t nv = left == kMaxVectors + 1 ? kMaxVectors - 1 : std::min(left, kMaxVectors);
    const int64_t ox = kLanes * v;
    if constexpr (kMaxVectors == 4) {
      if (nv == 4) columns<NB, 4>(s, l, base, w, m0, ox, bias, residual, act, y_row, plane);
    }
    if (nv == 3) columns<NB, 3>(s, l, base, w, m0, ox, bias, residual, act, y_row, plane);
    if (nv == 2) columns<NB, 2>(s, l, base, w, m0, ox, bias, residual, act, y_row, plane);
    if (nv == 1) columns<NB, 1>(s, l, base, w, m0, ox, bias, residual, act, y_row, plane);
    v += nv;
  }
}

void rows(const Conv2dShape& s, const DirectConvLayout& l, const float* padded,
          const float* packed_w, const float* bias, const float* residual, const Activation& act,
          float* y, int64_t plane, int64_t oy0, int64_t oy1) {
  const int64_t OW = s.OW();
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t vectors = (OW + kLanes - 1) / kLanes;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* base = padded + oy * l.row_step;
    float* y_row = y + (oy - oy0) * OW;
    const float* r_row = residual ? residual + (oy - oy0) * OW : nullptr;
    // Blocks in pairs: 8 channels x 3 vectors do 24 FMAs per 11 loads, and the store of each
    // accumulator is spread over more taps than with one block.
    int64_t b = 0;
    for (; b + 2 <= l.blocks; b += 2)
      row_blocks<2>(s, l, base, packed_w + b * taps * kBlock, b * kBlock, bias, r_row, act, y_row,
                    plane, vectors);
    if (b < l.blocks)
      row_blocks<1>(s, l, base, packed_w + b * taps * kBlock, b * kBlock, bias, r_row, act, y_row,
                    plane, vectors);
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
