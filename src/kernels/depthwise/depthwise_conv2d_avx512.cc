// Depthwise convolution with AVX-512: depthwise_conv2d_avx2.cc's scheme at 16 floats a vector.
// Each input plane is copied into a 64-byte aligned, zero-bordered scratch plane wide enough for
// whole vectors, so the inner loop has no bounds checks whatever the padding, and every tap comes
// from aligned loads (see taps()). 3x3 kernels compute four output rows at once, so each loaded
// input row serves up to three of them; a ragged row end is stored masked. At stride 2 each input
// row is copied straight into its padded row split into even and odd columns (two permutes per 32
// floats), so tap kx of 16 outputs reads the (kx % 2) half of its row from column ox + kx / 2,
// where one permute per tap and vector would cost more than the FMAs. Activations: none, Relu and
// Clip (the mobilenet ones) in 16 lanes, HardSigmoid, HardSwish and LeakyRelu too, with the
// operand order of the scalar definitions; sigmoid is left to the AVX2 tier (supports() says no).
#include <immintrin.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/depthwise/depthwise_conv2d.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/padded_copy.h"
#include "kernels/sliding_window_avx512.h"

namespace sinter::kernels::detail {

namespace {
using avx512::tail_mask;
using Geometry = avx512::PaddedPlane;

Geometry geometry(const DepthwiseConv2dParams& p) {
  Geometry g =
      avx512::padded_plane(p.in_h, p.in_w, p.out_h(), p.out_w(), p.kernel_h, p.kernel_w, p.stride_h,
                           p.stride_w, p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  if (p.stride_w == 2) g.wp = (g.wp + 31) / 32 * 32;  // whole 32-float pairs to split
  return g;
}

// Copies an input row of n floats into a split padded row (wp floats): padded column
// j = ix + pad_left goes to dst[(j % 2) * half + j / 2]. Each 32 input floats are permuted into
// their even and odd columns; lanes past the row's end are not stored, so the border stays zero.
void copy_split_row(const float* src, int64_t n, int64_t pad_left, int64_t half, float* dst) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (int64_t i = 0; i < n; i += 32) {
    const int64_t left = n - i;
    const __m512 a = _mm512_maskz_loadu_ps(tail_mask(left), src + i);
    const __m512 b =
        _mm512_maskz_loadu_ps(tail_mask(std::max<int64_t>(left - 16, 0)), src + i + 16);
    for (int q = 0; q < 2; ++q) {
      const int64_t count = std::min<int64_t>(16, (left - q + 1) / 2);
      const int64_t j = i + pad_left + q;
      const __m512 v = _mm512_permutex2var_ps(a, q ? odd : even, b);
      _mm512_mask_storeu_ps(dst + (j % 2) * half + j / 2, tail_mask(count), v);
    }
  }
}

// The 16 floats from lo[n] on, of the 32 in lo and hi (n in 0..4: constant once the caller's
// loops are unrolled).
inline __m512 shifted(__m512 lo, __m512 hi, int n) {
  const __m512i l = _mm512_castps_si512(lo), h = _mm512_castps_si512(hi);
  switch (n) {
    case 1:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 1));
    case 2:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 2));
    case 3:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 3));
    case 4:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 4));
    default:
      return lo;
  }
}

// The K taps of the 16 outputs from ox on, in a row r of the padded plane (S == 1) or of its
// split (S == 2; tap kx is in the (kx % 2) half from column ox + kx / 2). Rows and ox are
// 64-byte aligned: the taps come from aligned loads shifted with valignd, because an unaligned
// load that straddles two cache lines costs about two, and most taps would.
template <int K, int S>
inline void taps(const float* r, int64_t half, int64_t ox, __m512 (&t)[K]) {
  if constexpr (S == 1) {
    const __m512 lo = _mm512_load_ps(r + ox), hi = _mm512_load_ps(r + ox + 16);
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) t[kx] = shifted(lo, hi, kx);
  } else {
    const __m512 even = _mm512_load_ps(r + ox), even_hi = _mm512_load_ps(r + ox + 16);
    const __m512 odd = _mm512_load_ps(r + half + ox);
    const __m512 odd_hi = K > 3 ? _mm512_load_ps(r + half + ox + 16) : odd;
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx)
      t[kx] = kx % 2 ? shifted(odd, odd_hi, kx / 2) : shifted(even, even_hi, kx / 2);
  }
}

// Per-thread scratch plane. The border stays zero across planes and calls as long as the
// interior lands in the same place, which is what the key records.
struct Scratch {
  std::shared_ptr<float[]> buf;  // 64-byte aligned, so the padded rows are
  int64_t size = 0;
  std::vector<int64_t> key;
};

float* prepare(Scratch& s, const DepthwiseConv2dParams& p, const Geometry& g) {
  std::vector<int64_t> key = {g.hp, g.wp, p.in_h, p.in_w, p.pad_top, p.pad_left, p.stride_w};
  if (s.key != key) {
    // 16 floats of slack: a row copy may write a whole vector past the last row's end.
    const int64_t floats = g.hp * g.wp + 16;
    if (s.size < floats) {
      s.buf = gemm::alloc_aligned_floats(floats);
      s.size = floats;
    }
    std::fill_n(s.buf.get(), floats, 0.0f);
    s.key = key;
  }
  return s.buf.get();
}

// Activation::apply on 16 lanes for one kind fixed at compile time (bit-identical to the scalar
// definition: the min/max operand order gives NaN and signed zero the same fate).
template <ActivationKind K>
struct Act16 {
  __m512 alpha, beta;
  explicit Act16(const Activation& a)
      : alpha(_mm512_set1_ps(a.alpha)), beta(_mm512_set1_ps(a.beta)) {}
  __m512 operator()(__m512 x) const {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    if constexpr (K == ActivationKind::kNone) {
      return x;
    } else if constexpr (K == ActivationKind::kRelu) {
      return _mm512_max_ps(x, zero);  // x > 0 ? x : 0
    } else if constexpr (K == ActivationKind::kClip) {
      return _mm512_min_ps(beta, _mm512_max_ps(alpha, x));  // std::min(std::max(x, lo), hi)
    } else if constexpr (K == ActivationKind::kHardSigmoid) {
      // mul then add, not fma, to round like the scalar alpha * x + beta; the empty asm keeps
      // GCC from contracting the two.
      __m512 t = _mm512_mul_ps(alpha, x);
      asm("" : "+v"(t));
      t = _mm512_add_ps(t, beta);
      return _mm512_min_ps(one, _mm512_max_ps(zero, t));
    } else if constexpr (K == ActivationKind::kHardSwish) {
      const __m512 t = _mm512_add_ps(_mm512_div_ps(x, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(x, _mm512_min_ps(one, _mm512_max_ps(zero, t)));
    } else {
      static_assert(K == ActivationKind::kLeakyRelu);
      const __mmask16 keep = _mm512_cmp_ps_mask(x, zero, _CMP_GE_OQ);
      return _mm512_mask_blend_ps(keep, _mm512_mul_ps(alpha, x), x);
    }
  }
};

// R output rows from oy on: each input row is loaded once for all the output rows it feeds
// (S * (R - 1) + K rows instead of R * K), and the R rows' accumulator chains are independent.
// One accumulator per output row and kernel row keeps each dependent FMA chain K long; the bias
// seeds the first. A ragged row end is stored masked (a spill into the next row would land
// after that row's first vector was written).
template <int K, int S, int R, class Act>
inline void rows(const Geometry& g, const float* buf, const __m512* wv, __m512 vb, int64_t oy,
                 const float* res, float* y, const Act& act) {
  const int64_t half = g.wp / 2;
  const float* row = buf + oy * S * g.wp;
  for (int64_t ox = 0; ox < g.ow; ox += 16) {
    __m512 acc[R][K];
#pragma GCC unroll 16
    for (int i = 0; i < S * (R - 1) + K; ++i) {
      __m512 t[K];
      taps<K, S>(row + i * g.wp, half, ox, t);
#pragma GCC unroll 8
      for (int kx = 0; kx < K; ++kx) {
#pragma GCC unroll 8
        for (int o = 0; o < R; ++o) {
          const int ky = i - o * S;
          if (ky < 0 || ky >= K) continue;
          const __m512 wk = wv[ky * K + kx];
          if (kx == 0) {
            acc[o][ky] = ky == 0 ? _mm512_fmadd_ps(t[kx], wk, vb) : _mm512_mul_ps(t[kx], wk);
          } else {
            acc[o][ky] = _mm512_fmadd_ps(t[kx], wk, acc[o][ky]);
          }
        }
      }
    }
    const int64_t left = g.ow - ox;
    const __mmask16 m = tail_mask(left);
#pragma GCC unroll 8
    for (int o = 0; o < R; ++o) {
      __m512 sum = acc[o][0];
      for (int ky = 1; ky < K; ++ky) sum = _mm512_add_ps(sum, acc[o][ky]);
      const int64_t at = (oy + o) * g.ow + ox;
      if (left >= 16) {
        if (res) sum = _mm512_add_ps(sum, _mm512_loadu_ps(res + at));
        _mm512_storeu_ps(y + at, act(sum));
      } else {
        if (res) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, res + at));
        _mm512_mask_storeu_ps(y + at, m, act(sum));
      }
    }
  }
}

// 3x3 kernels take output rows four at a time (12 accumulators and 9 weights fit the 32
// registers); 5x5 ones one at a time.
template <int K, int S, class Act>
void plane(const Geometry& g, const float* buf, const float* w, float bias, const float* res,
           float* y, const Act& act) {
  constexpr int R = K == 3 ? 4 : 1;
  __m512 wv[K * K];
  for (int i = 0; i < K * K; ++i) wv[i] = _mm512_set1_ps(w[i]);
  const __m512 vb = _mm512_set1_ps(bias);
  int64_t oy = 0;
  for (; oy + R <= g.oh; oy += R) rows<K, S, R>(g, buf, wv, vb, oy, res, y, act);
  for (; oy < g.oh; ++oy) rows<K, S, 1>(g, buf, wv, vb, oy, res, y, act);
}

bool supports(const DepthwiseConv2dParams& p) {
  const bool k = p.kernel_h == p.kernel_w && (p.kernel_h == 3 || p.kernel_h == 5);
  const bool s = p.stride_h == p.stride_w && (p.stride_h == 1 || p.stride_h == 2);
  return p.multiplier == 1 && k && s && p.dilation_h == 1 && p.dilation_w == 1 && p.out_h() > 0 &&
         p.out_w() > 0 && p.activation.kind != ActivationKind::kSigmoid &&
         padded_copy_is_small({p.in_h, p.pad_top, p.pad_bottom, p.kernel_h, 1, p.stride_h},
                              {p.in_w, p.pad_left, p.pad_right, p.kernel_w, 1, p.stride_w});
}

template <class Act>
void conv_planes(const DepthwiseConv2dParams& p, const float* x, const float* w, const float* bias,
                 const float* residual, float* y, int64_t plane_begin, int64_t plane_end,
                 const Act& act) {
  // Two scratch planes: the next plane is copied into one while the other's is convolved, so
  // that the taps' unaligned loads never wait on the copy's just-issued stores (with small planes
  // they would, every row: the stores cannot forward to loads that straddle them).
  thread_local Scratch scratch[2];
  const Geometry g = geometry(p);
  float* bufs[2] = {prepare(scratch[0], p, g), prepare(scratch[1], p, g)};
  const __m512 zero = _mm512_setzero_ps();
  const int64_t kk = p.kernel_h * p.kernel_w, out_size = g.oh * g.ow;
  auto copy_in = [&](int64_t plane_i, float* buf) {
    const float* xp = x + plane_i * p.in_h * p.in_w;
    for (int64_t iy = 0; iy < p.in_h; ++iy) {
      const float* src = xp + iy * p.in_w;
      float* row = buf + (iy + p.pad_top) * g.wp;
      if (p.stride_h == 1) {
        avx512::copy_row(src, p.in_w, row + p.pad_left, zero);
      } else {
        copy_split_row(src, p.in_w, p.pad_left, g.wp / 2, row);
      }
    }
  };
  if (plane_begin < plane_end) copy_in(plane_begin, bufs[0]);
  for (int64_t plane_i = plane_begin; plane_i < plane_end; ++plane_i) {
    const int64_t c = plane_i % p.channels;
    const float* buf = bufs[(plane_i - plane_begin) % 2];
    if (plane_i + 1 < plane_end) copy_in(plane_i + 1, bufs[(plane_i + 1 - plane_begin) % 2]);
    const float* wc = w + c * kk;
    const float b = bias ? bias[c] : 0.0f;
    const float* res = residual ? residual + plane_i * out_size : nullptr;
    float* yp = y + plane_i * out_size;
    if (p.stride_h == 1) {
      p.kernel_h == 3 ? plane<3, 1>(g, buf, wc, b, res, yp, act)
                      : plane<5, 1>(g, buf, wc, b, res, yp, act);
    } else {
      p.kernel_h == 3 ? plane<3, 2>(g, buf, wc, b, res, yp, act)
                      : plane<5, 2>(g, buf, wc, b, res, yp, act);
    }
  }
}

void conv2d(const DepthwiseConv2dParams& p, const float* x, const float* w, const float* bias,
            const float* residual, float* y, int64_t plane_begin, int64_t plane_end) {
  auto run = [&](const auto& act) {
    conv_planes(p, x, w, bias, residual, y, plane_begin, plane_end, act);
  };
  const Activation& a = p.activation;
  switch (a.kind) {
    case ActivationKind::kNone:
      return run(Act16<ActivationKind::kNone>(a));
    case ActivationKind::kRelu:
      return run(Act16<ActivationKind::kRelu>(a));
    case ActivationKind::kClip:
      return run(Act16<ActivationKind::kClip>(a));
    case ActivationKind::kHardSigmoid:
      return run(Act16<ActivationKind::kHardSigmoid>(a));
    case ActivationKind::kHardSwish:
      return run(Act16<ActivationKind::kHardSwish>(a));
    case ActivationKind::kLeakyRelu:
      return run(Act16<ActivationKind::kLeakyRelu>(a));
    case ActivationKind::kSigmoid:
      break;  // not in supports()
  }
}

}  // namespace

const DepthwiseKernels& depthwise_kernels_avx512() {
  static constexpr DepthwiseKernels kernels = {supports, conv2d};
  return kernels;
}

}  // namespace sinter::kernels::detail
