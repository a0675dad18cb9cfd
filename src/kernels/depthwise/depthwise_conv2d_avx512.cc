// Depthwise convolution with AVX-512: depthwise_conv2d_avx2.cc's scheme at 16 floats a vector.
// At stride 1 each input plane is copied into a 64-byte aligned, zero-bordered scratch plane wide
// enough for whole vectors, so the inner loop has no bounds checks whatever the padding, and
// every tap comes from aligned loads (see taps()). At stride 2 a copy would have to split each
// row into its even and odd columns, which cost twice the convolution: there the taps are read
// straight from the input plane, in masked loads (columns outside the plane read as zero) whose
// even and odd lanes two permutes pick. 3x3 kernels compute four output rows at once, so each
// loaded input row serves up to three of them; a ragged row end is stored masked. Activations:
// none, Relu and Clip (the mobilenet ones) in 16 lanes, HardSigmoid, HardSwish and LeakyRelu too,
// with the operand order of the scalar definitions; sigmoid is left to the AVX2 tier
// (supports() says no).
#include <immintrin.h>

#include <algorithm>
#include <memory>
#include <type_traits>
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
  return avx512::padded_plane(p.in_h, p.in_w, p.out_h(), p.out_w(), p.kernel_h, p.kernel_w, 1, 1,
                              p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
}

// The 16 floats from lo[n] on, of the 32 in lo and hi (n in 0..6: constant once the caller's
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
    case 5:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 5));
    case 6:
      return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 6));
    default:
      return lo;
  }
}

// The K taps of the 16 outputs from ox on, in a row r of the padded plane. Rows and ox are
// 64-byte aligned: the taps come from aligned loads shifted with valignd, because an unaligned
// load that straddles two cache lines costs about two, and most taps would.
template <int K>
inline void taps(const float* r, int64_t ox, __m512 (&t)[K]) {
  const __m512 lo = _mm512_load_ps(r + ox), hi = _mm512_load_ps(r + ox + 16);
#pragma GCC unroll 8
  for (int kx = 0; kx < K; ++kx) t[kx] = shifted(lo, hi, kx);
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

// Adds the residual to R rows of 16 outputs from (oy, ox) of a plane ow wide, activates and
// stores them; a ragged row end is stored masked.
template <int K, int R, class Act>
inline void store_rows(const __m512 (&acc)[R][K], int64_t ow, int64_t ox, int64_t oy,
                       const float* res, float* y, const Act& act) {
  const int64_t left = ow - ox;
  const __mmask16 m = tail_mask(left);
#pragma GCC unroll 8
  for (int o = 0; o < R; ++o) {
    __m512 sum = acc[o][0];
    for (int ky = 1; ky < K; ++ky) sum = _mm512_add_ps(sum, acc[o][ky]);
    const int64_t at = (oy + o) * ow + ox;
    if (left >= 16) {
      if (res) sum = _mm512_add_ps(sum, _mm512_loadu_ps(res + at));
      _mm512_storeu_ps(y + at, act(sum));
    } else {
      if (res) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, res + at));
      _mm512_mask_storeu_ps(y + at, m, act(sum));
    }
  }
}

// Calls f(std::integral_constant<int, R>, oy) over oh output rows in blocks of R: 3x3 kernels
// take four rows at once (12 accumulators and 9 weights fit the 32 registers) and the last one
// to three in one block; 5x5 and 7x7 ones one at a time.
template <int K, class F>
inline void for_row_blocks(int64_t oh, F&& f) {
  constexpr int R = K == 3 ? 4 : 1;
  int64_t oy = 0;
  for (; oy + R <= oh; oy += R) f(std::integral_constant<int, R>{}, oy);
  if constexpr (K == 3) {
    switch (oh - oy) {
      case 3:
        return f(std::integral_constant<int, 3>{}, oy);
      case 2:
        return f(std::integral_constant<int, 2>{}, oy);
      case 1:
        return f(std::integral_constant<int, 1>{}, oy);
    }
  }
}

// Stride 1 from the scratch plane: R output rows from oy on; each input row is loaded once for
// all the output rows it feeds (R - 1 + K rows instead of R * K), and the R rows' accumulator
// chains are independent. One accumulator per output row and kernel row keeps each dependent
// FMA chain K long; the bias seeds the first. A ragged row end is stored masked (a spill into the
// next row would land after that row's first vector was written).
template <int K, int R, class Act>
inline void stride1_rows(const Geometry& g, const float* buf, const __m512* wv, __m512 vb,
                         int64_t oy, const float* res, float* y, const Act& act) {
  const float* row = buf + oy * g.wp;
  for (int64_t ox = 0; ox < g.ow; ox += 16) {
    __m512 acc[R][K];
#pragma GCC unroll 16
    for (int i = 0; i < R - 1 + K; ++i) {
      __m512 t[K];
      taps<K>(row + i * g.wp, ox, t);
#pragma GCC unroll 8
      for (int kx = 0; kx < K; ++kx) {
#pragma GCC unroll 8
        for (int o = 0; o < R; ++o) {
          const int ky = i - o;
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
    store_rows<K, R>(acc, g.ow, ox, oy, res, y, act);
  }
}

template <int K, class Act>
void stride1_plane(const Geometry& g, const float* buf, const float* w, float bias,
                   const float* res, float* y, const Act& act) {
  __m512 wv[K * K];
  for (int i = 0; i < K * K; ++i) wv[i] = _mm512_set1_ps(w[i]);
  const __m512 vb = _mm512_set1_ps(bias);
  for_row_blocks<K>(g.oh, [&](auto r, int64_t oy) {
    stride1_rows<K, decltype(r)::value>(g, buf, wv, vb, oy, res, y, act);
  });
}

// Lanes l of a vector loaded from column c on that fall inside a row of w columns.
inline __mmask16 columns_inside(int64_t c, int64_t w) {
  const int64_t lo = std::clamp<int64_t>(-c, 0, 16), hi = std::clamp<int64_t>(w - c, 0, 16);
  return lo >= hi ? 0 : static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// The masks of the three vectors a stride-2 window of 16 outputs loads, from column c0 on: lanes
// inside the row, and of the third only those a tap reads.
template <int K>
struct Window {
  __mmask16 a, b, c;
  Window(int64_t c0, int64_t w)
      : a(columns_inside(c0, w)),
        b(columns_inside(c0 + 16, w)),
        c(columns_inside(c0 + 32, w) & ((1u << (K - 2)) - 1)) {}
};

// The K taps of the 16 outputs whose window starts at r[0]: tap kx of output k reads
// r[2 * k + kx].
template <int K>
inline void stride2_taps(const float* r, const Window<K>& m, __m512 (&t)[K]) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512 a = _mm512_maskz_loadu_ps(m.a, r), b = _mm512_maskz_loadu_ps(m.b, r + 16);
  t[0] = _mm512_permutex2var_ps(a, even, b);
  t[1] = _mm512_permutex2var_ps(a, odd, b);
  // Taps 2.. are taps 0 and 1 moved down a lane or two, the columns from r[32] on above them.
  const __m512 c = _mm512_maskz_loadu_ps(m.c, r + 32);
  const __m512 c_even = _mm512_permutexvar_ps(even, c);
  t[2] = shifted(t[0], c_even, 1);
  if constexpr (K == 5) {
    t[3] = shifted(t[1], _mm512_permutexvar_ps(odd, c), 1);
    t[4] = shifted(t[0], c_even, 2);
  }
}

// Stride 2 from the input plane xp: R output rows from oy on, as stride1_rows() does them.
template <int K, int R, class Act>
inline void stride2_rows(const DepthwiseConv2dParams& p, const float* xp, const __m512* wv,
                         __m512 vb, int64_t oy, const float* res, float* y, const Act& act) {
  constexpr int N = 2 * (R - 1) + K;
  const int64_t ow = p.out_w();
  const float* in[N];
  for (int i = 0; i < N; ++i) {
    const int64_t iy = oy * 2 - p.pad_top + i;
    in[i] = iy >= 0 && iy < p.in_h ? xp + iy * p.in_w : nullptr;
  }
  // The rows the next R output rows add: more rows are read side by side than the hardware
  // prefetcher follows. Past the plane's end these are the next plane's first rows.
  const char* next = reinterpret_cast<const char*>(xp + (oy * 2 - p.pad_top + N) * p.in_w);
  for (int64_t b = 0; b < 2 * R * p.in_w * 4; b += 64) _mm_prefetch(next + b, _MM_HINT_T0);
  for (int64_t ox = 0; ox < ow; ox += 16) {
    const int64_t c0 = 2 * ox - p.pad_left;
    const Window<K> window(c0, p.in_w);
    __m512 acc[R][K];
#pragma GCC unroll 8
    for (int o = 0; o < R; ++o) {
      acc[o][0] = vb;
      for (int ky = 1; ky < K; ++ky) acc[o][ky] = _mm512_setzero_ps();
    }
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) {
      if (!in[i]) continue;
      __m512 t[K];
      stride2_taps<K>(in[i] + c0, window, t);
#pragma GCC unroll 8
      for (int o = 0; o < R; ++o) {
        const int ky = i - o * 2;
        if (ky < 0 || ky >= K) continue;
#pragma GCC unroll 8
        for (int kx = 0; kx < K; ++kx)
          acc[o][ky] = _mm512_fmadd_ps(t[kx], wv[ky * K + kx], acc[o][ky]);
      }
    }
    store_rows<K, R>(acc, ow, ox, oy, res, y, act);
  }
}

template <int K, class Act>
void stride2_plane(const DepthwiseConv2dParams& p, const float* xp, const float* w, float bias,
                   const float* res, float* y, const Act& act) {
  __m512 wv[K * K];
  for (int i = 0; i < K * K; ++i) wv[i] = _mm512_set1_ps(w[i]);
  const __m512 vb = _mm512_set1_ps(bias);
  for_row_blocks<K>(p.out_h(), [&](auto r, int64_t oy) {
    stride2_rows<K, decltype(r)::value>(p, xp, wv, vb, oy, res, y, act);
  });
}

bool supports(const DepthwiseConv2dParams& p) {
  // 7x7 (ConvNeXt) at stride 1 only: its weights no longer fit the registers beside the
  // accumulators, and are read as broadcast memory operands.
  const bool k = p.kernel_h == p.kernel_w &&
                 (p.kernel_h == 3 || p.kernel_h == 5 || (p.kernel_h == 7 && p.stride_h == 1));
  const bool s = p.stride_h == p.stride_w && (p.stride_h == 1 || p.stride_h == 2);
  return p.multiplier == 1 && k && s && p.dilation_h == 1 && p.dilation_w == 1 && p.out_h() > 0 &&
         p.out_w() > 0 && p.activation.kind != ActivationKind::kSigmoid &&
         (p.stride_h == 2 ||  // read in place: any padding
          padded_copy_is_small({p.in_h, p.pad_top, p.pad_bottom, p.kernel_h, 1, 1},
                               {p.in_w, p.pad_left, p.pad_right, p.kernel_w, 1, 1}));
}

template <class Act>
void conv_planes(const DepthwiseConv2dParams& p, const float* x, const float* w, const float* bias,
                 const float* residual, float* y, int64_t plane_begin, int64_t plane_end,
                 const Act& act) {
  const int64_t kk = p.kernel_h * p.kernel_w, in_size = p.in_h * p.in_w,
                out_size = p.out_h() * p.out_w();
  // Output plane i's weights, bias, residual and output.
  struct Plane {
    const float* w;
    float bias;
    const float* res;
    float* y;
  };
  auto plane_at = [&](int64_t i) {
    const int64_t c = i % p.channels;
    return Plane{w + c * kk, bias ? bias[c] : 0.0f, residual ? residual + i * out_size : nullptr,
                 y + i * out_size};
  };
  if (p.stride_h == 2) {
    for (int64_t i = plane_begin; i < plane_end; ++i) {
      const Plane o = plane_at(i);
      const float* xp = x + i * in_size;
      p.kernel_h == 3 ? stride2_plane<3>(p, xp, o.w, o.bias, o.res, o.y, act)
                      : stride2_plane<5>(p, xp, o.w, o.bias, o.res, o.y, act);
    }
    return;
  }
  // Two scratch planes: the next plane is copied into one while the other's is convolved, so
  // that the taps' unaligned loads never wait on the copy's just-issued stores (with small planes
  // they would, every row: the stores cannot forward to loads that straddle them). One loop for
  // both strides, skipping the copy at stride 2, ran stride 1 6-8 % slower.
  thread_local Scratch scratch[2];
  const Geometry g = geometry(p);
  float* bufs[2] = {prepare(scratch[0], p, g), prepare(scratch[1], p, g)};
  const __m512 zero = _mm512_setzero_ps();
  auto copy_in = [&](int64_t i, float* buf) {
    const float* xp = x + i * in_size;
    for (int64_t iy = 0; iy < p.in_h; ++iy)
      avx512::copy_row(xp + iy * p.in_w, p.in_w, buf + (iy + p.pad_top) * g.wp + p.pad_left, zero);
  };
  if (plane_begin < plane_end) copy_in(plane_begin, bufs[0]);
  for (int64_t i = plane_begin; i < plane_end; ++i) {
    const float* buf = bufs[(i - plane_begin) % 2];
    if (i + 1 < plane_end) copy_in(i + 1, bufs[(i + 1 - plane_begin) % 2]);
    const Plane o = plane_at(i);
    switch (p.kernel_h) {
      case 3:
        stride1_plane<3>(g, buf, o.w, o.bias, o.res, o.y, act);
        break;
      case 5:
        stride1_plane<5>(g, buf, o.w, o.bias, o.res, o.y, act);
        break;
      default:
        stride1_plane<7>(g, buf, o.w, o.bias, o.res, o.y, act);
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
