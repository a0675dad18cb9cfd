// The AVX-512 tier of the blocked convolution kernels: one 16-float vector per output channel
// block, register tiles of up to 4 blocks x 6 pixels (24 accumulators), instantiated for every
// tile size so the accumulators stay in registers; input pixels come in as broadcasts from
// memory, weights as aligned vector loads.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/blocked/blocked_conv2d.h"
#include "kernels/eltwise/activation_avx512.h"

namespace sinter::kernels::detail {

namespace {
constexpr int kB = static_cast<int>(kChannelBlock);

template <int B, int P>
inline void start(const BlockedTileOutput& o, __m512 (&acc)[B][P]) {
  if (!o.first_part) {
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j) acc[b][j] = _mm512_loadu_ps(o.y + b * o.y_block_stride + j * kB);
    return;
  }
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const __m512 bias = _mm512_loadu_ps(o.bias + b * kB);
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) acc[b][j] = bias;
  }
}

template <int B, int P>
inline void finish(const BlockedTileOutput& o, __m512 (&acc)[B][P]) {
  if (!o.last_part) {
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j) _mm512_storeu_ps(o.y + b * o.y_block_stride + j * kB, acc[b][j]);
    return;
  }
  const avx512::VecActivation act(o.act);
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
      const int64_t at = b * o.y_block_stride + j * kB;
      __m512 v = acc[b][j];
      if (o.residual) v = _mm512_add_ps(v, _mm512_loadu_ps(o.residual + at));
      _mm512_storeu_ps(o.y + at, act(v));
    }
}

// One input channel's contribution: pixel j's value at x[j * step] times the weight vectors.
template <int B, int P>
inline void multiply_add(const float* x, int64_t step, const float* w, __m512 (&acc)[B][P]) {
  __m512 wv[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) wv[b] = _mm512_load_ps(w + b * kB);
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
    const __m512 xv = _mm512_set1_ps(x[j * step]);
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b][j] = _mm512_fmadd_ps(wv[b], xv, acc[b][j]);
  }
}

template <int B, int P>
void pointwise_tile(const PointwiseTile& t) {
  __m512 acc[B][P];
  start(t.out, acc);
  const float* w = t.w;
  for (int64_t cb = 0; cb < t.in_blocks; ++cb) {
    const float* x = t.x + cb * t.x_block_stride;
#pragma GCC unroll 16
    for (int c = 0; c < kB; ++c) multiply_add(x + c, t.x_pixel_stride, w + c * B * kB, acc);
    w += kB * B * kB;
  }
  finish(t.out, acc);
}

template <int B, int P>
void direct_tile(const DirectTile& t) {
  __m512 acc[B][P];
  start(t.out, acc);
  for (int64_t c = 0; c < t.channels; ++c) {
    const float* xc = t.x + t.channel_offset[c];
    const float* wc = t.w + c * t.kernel_taps * B * kB;
    for (int k = 0; k < t.taps; ++k)
      multiply_add(xc + t.tap_offset[k], t.x_pixel_step, wc + t.tap_index[k] * B * kB, acc);
  }
  finish(t.out, acc);
}

template <class Tile>
using TileFn = void (*)(const Tile&);

template <class Tile, template <int, int> class Pick, int B, int... P>
constexpr std::array<TileFn<Tile>, kTilePixels> row_of(std::integer_sequence<int, P...>) {
  return {Pick<B, P + 1>::fn...};
}

template <class Tile, template <int, int> class Pick>
constexpr std::array<std::array<TileFn<Tile>, kTilePixels>, kTileBlocks> table_of() {
  constexpr auto px = std::make_integer_sequence<int, kTilePixels>{};
  return {row_of<Tile, Pick, 1>(px), row_of<Tile, Pick, 2>(px), row_of<Tile, Pick, 3>(px),
          row_of<Tile, Pick, 4>(px)};
}

template <int B, int P>
struct PickPointwise {
  static constexpr TileFn<PointwiseTile> fn = &pointwise_tile<B, P>;
};
template <int B, int P>
struct PickDirect {
  static constexpr TileFn<DirectTile> fn = &direct_tile<B, P>;
};

void pointwise(const PointwiseTile& t) {
  static constexpr auto table = table_of<PointwiseTile, PickPointwise>();
  table[static_cast<size_t>(t.out.blocks - 1)][static_cast<size_t>(t.out.pixels - 1)](t);
}

void direct(const DirectTile& t) {
  static constexpr auto table = table_of<DirectTile, PickDirect>();
  table[static_cast<size_t>(t.out.blocks - 1)][static_cast<size_t>(t.out.pixels - 1)](t);
}

// The rows of a depthwise window inside the input for one output row: kernel rows [kh0, kh1).
struct KernelRows {
  int64_t ih0, kh0, kh1;
};

inline void store_depthwise(const DepthwiseRow& r, const avx512::VecActivation& act, int64_t ow,
                            __m512 v) {
  if (r.residual) v = _mm512_add_ps(v, _mm512_loadu_ps(r.residual + ow * kB));
  _mm512_storeu_ps(r.y + ow * kB, act(v));
}

// R output pixels from ow on whose every tap is inside the input, R accumulators.
template <int R>
void depthwise_run(const DepthwiseRow& r, const KernelRows& k, const avx512::VecActivation& act,
                   int64_t ow) {
  const __m512 bias = _mm512_loadu_ps(r.bias);
  __m512 acc[R];
#pragma GCC unroll 8
  for (int j = 0; j < R; ++j) acc[j] = bias;
  const int64_t step = r.stride_w * kB;
  for (int64_t kh = k.kh0; kh < k.kh1; ++kh) {
    const float* row = r.x + (k.ih0 + kh * r.dilation_h) * r.W * kB;
    for (int64_t kw = 0; kw < r.KW; ++kw) {
      const __m512 wv = _mm512_load_ps(r.w + (kh * r.KW + kw) * kB);
      const float* in = row + (ow * r.stride_w - r.pad_left + kw * r.dilation_w) * kB;
#pragma GCC unroll 8
      for (int j = 0; j < R; ++j)
        acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(in + j * step), wv, acc[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < R; ++j) store_depthwise(r, act, ow + j, acc[j]);
}

template <int... R>
constexpr auto depthwise_runs(std::integer_sequence<int, R...>) {
  using Fn =
      void (*)(const DepthwiseRow&, const KernelRows&, const avx512::VecActivation&, int64_t);
  return std::array<Fn, sizeof...(R)>{&depthwise_run<R + 1>...};
}

// Runs of up to 8 output pixels where every tap is inside the input; single pixels, each tap
// checked, at the borders.
void depthwise_row(const DepthwiseRow& r) {
  constexpr int kRun = 8;
  static constexpr auto runs = depthwise_runs(std::make_integer_sequence<int, kRun>{});
  const avx512::VecActivation act(r.act);
  KernelRows k{r.oh * r.stride_h - r.pad_top, 0, r.KH};
  while (k.kh0 < r.KH && k.ih0 + k.kh0 * r.dilation_h < 0) ++k.kh0;
  while (k.kh1 > k.kh0 && k.ih0 + (k.kh1 - 1) * r.dilation_h >= r.H) --k.kh1;
  auto border = [&](int64_t ow) {
    __m512 acc = _mm512_loadu_ps(r.bias);
    for (int64_t kh = k.kh0; kh < k.kh1; ++kh) {
      const float* row = r.x + (k.ih0 + kh * r.dilation_h) * r.W * kB;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + iw * kB),
                              _mm512_load_ps(r.w + (kh * r.KW + kw) * kB), acc);
      }
    }
    store_depthwise(r, act, ow, acc);
  };
  const int64_t ow_lo = std::min(r.OW, (r.pad_left + r.stride_w - 1) / r.stride_w);
  const int64_t last = r.W - 1 + r.pad_left - (r.KW - 1) * r.dilation_w;
  const int64_t ow_hi = std::max(ow_lo, std::min(r.OW, last < 0 ? 0 : last / r.stride_w + 1));
  for (int64_t ow = 0; ow < ow_lo; ++ow) border(ow);
  for (int64_t ow = ow_lo; ow < ow_hi; ow += kRun)
    runs[static_cast<size_t>(std::min<int64_t>(kRun, ow_hi - ow) - 1)](r, k, act, ow);
  for (int64_t ow = ow_hi; ow < r.OW; ++ow) border(ow);
}
}  // namespace

const BlockedConvKernels& blocked_conv_kernels_avx512() {
  static const BlockedConvKernels k{pointwise, direct, depthwise_row};
  return k;
}

}  // namespace sinter::kernels::detail
