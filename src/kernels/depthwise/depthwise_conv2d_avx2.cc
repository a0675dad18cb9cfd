// Depthwise convolution with AVX2+FMA, vectorized along output columns (NCHW keeps a plane's
// row contiguous). Each input plane is copied into a zero-bordered scratch plane wide enough for
// whole vectors, so the inner loop has no bounds checks whatever the padding, and planes as
// small as 7x7 still run in vectors (a ragged row end spills into the next row). The copy is one
// pass over the input against K*K multiply-adds per output.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/depthwise/depthwise_conv2d.h"
#include "kernels/eltwise/activation_avx2.h"
#include "kernels/eltwise/padded_plane_avx2.h"
#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/padded_copy.h"

namespace sinter::kernels::detail {

namespace {
using avx2::fix_order;
using avx2::tap;
using avx2::VecActivation;

using Geometry = avx2::PaddedPlane;

Geometry geometry(const DepthwiseConv2dParams& p) {
  return avx2::padded_plane(p.in_h, p.in_w, p.out_h(), p.out_w(), p.kernel_h, p.kernel_w,
                            p.stride_h, p.stride_w, p.pad_top, p.pad_left, p.pad_bottom,
                            p.pad_right);
}

// Per-thread scratch plane. The border stays zero across planes and calls as long as the
// interior lands in the same place, which is what the key records.
struct Scratch {
  std::vector<float> buf;
  std::vector<int64_t> key;
};

float* prepare(Scratch& s, const DepthwiseConv2dParams& p, const Geometry& g) {
  std::vector<int64_t> key = {g.hp, g.wp, p.in_h, p.in_w, p.pad_top, p.pad_left};
  if (s.key != key) {
    // 8 floats of slack: copy_row may write a whole vector past the last row's end.
    s.buf.assign(static_cast<size_t>(g.hp * g.wp + 8), 0.0f);
    s.key = key;
  }
  return s.buf.data();
}

// Copies an input row into the padded plane in whole vectors. Lanes past the row's end are
// zero (masked load), so the vector that overhangs writes zeros into padding: the row's own right
// border, or the next row's left border, or the next row's interior, which its own copy then
// overwrites. Short rows (7, 14 wide) cost a load and a store instead of a memcpy call.
inline void copy_row(const float* src, int64_t n, float* dst) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
  if (j < n) _mm256_storeu_ps(dst + j, _mm256_maskload_ps(src + j, avx2::tail_mask(n - j)));
}

// One activation kind fixed at compile time: no per-vector switch in the hot loop.
template <ActivationKind A>
struct FixedActivation {
  const VecActivation& v;
  __m256 operator()(__m256 x) const { return v.apply<A>(x); }
};

template <int K, int S, class Act>
void plane(const Geometry& g, const float* buf, const float* w, float bias, const float* res,
           float* y, const Act& act) {
  __m256 wv[K * K];
  for (int i = 0; i < K * K; ++i) wv[i] = _mm256_set1_ps(w[i]);
  const __m256 vb = _mm256_set1_ps(bias);
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = buf + oy * S * g.wp;
    float* yr = y + oy * g.ow;
    const float* rr = res ? res + oy * g.ow : nullptr;
    for (int64_t ox = 0; ox < g.ow; ox += 8) {
      // One accumulator per kernel row shortens the dependent FMA chain from K*K to K; the bias
      // seeds the first (before the stride-2 lane fix-up, which only permutes).
      __m256 acc[K];
      for (int ky = 0; ky < K; ++ky) {
        const float* r = row + ky * g.wp + ox * S;
        acc[ky] =
            ky == 0 ? _mm256_fmadd_ps(tap<S>(r), wv[0], vb) : _mm256_mul_ps(tap<S>(r), wv[ky * K]);
        for (int kx = 1; kx < K; ++kx)
          acc[ky] = _mm256_fmadd_ps(tap<S>(r + kx), wv[ky * K + kx], acc[ky]);
      }
      __m256 sum = acc[0];
      for (int ky = 1; ky < K; ++ky) sum = _mm256_add_ps(sum, acc[ky]);
      sum = fix_order<S>(sum);
      const int64_t left = g.ow - ox;
      // A ragged row end may spill a whole vector into the following output rows, which are
      // written after this one; only a vector that would leave the plane, or any vector when
      // the residual is y itself, must stop exactly at the edge.
      if (left >= 8 || (oy * g.ow + ox + 8 <= g.oh * g.ow && res != y)) {
        if (rr) sum = _mm256_add_ps(sum, _mm256_loadu_ps(rr + ox));
        _mm256_storeu_ps(yr + ox, act(sum));
      } else {
        if (rr) sum = _mm256_add_ps(sum, avx2::load_partial(rr + ox, left));
        avx2::store_partial(yr + ox, act(sum), left);
      }
    }
  }
}

bool depthwise_conv2d_avx2_supports(const DepthwiseConv2dParams& p) {
  const bool k = p.kernel_h == p.kernel_w && (p.kernel_h == 3 || p.kernel_h == 5);
  const bool s = p.stride_h == p.stride_w && (p.stride_h == 1 || p.stride_h == 2);
  return p.multiplier == 1 && k && s && p.dilation_h == 1 && p.dilation_w == 1 && p.out_h() > 0 &&
         p.out_w() > 0 &&
         padded_copy_is_small({p.in_h, p.pad_top, p.pad_bottom, p.kernel_h, 1, p.stride_h},
                              {p.in_w, p.pad_left, p.pad_right, p.kernel_w, 1, p.stride_w});
}

void depthwise_conv2d_avx2(const DepthwiseConv2dParams& p, const float* x, const float* w,
                           const float* bias, const float* residual, float* y, int64_t plane_begin,
                           int64_t plane_end) {
  // Two scratch planes: the next plane is copied into one while the other's is convolved, so
  // that the taps' unaligned loads never wait on the copy's just-issued stores.
  thread_local Scratch scratch[2];
  const Geometry g = geometry(p);
  float* bufs[2] = {prepare(scratch[0], p, g), prepare(scratch[1], p, g)};
  const VecActivation act(p.activation);
  const int64_t kk = p.kernel_h * p.kernel_w, out_size = g.oh * g.ow;
  auto copy_in = [&](int64_t plane_i, float* buf) {
    const float* xp = x + plane_i * p.in_h * p.in_w;
    for (int64_t iy = 0; iy < p.in_h; ++iy)
      copy_row(xp + iy * p.in_w, p.in_w, buf + (iy + p.pad_top) * g.wp + p.pad_left);
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
    auto run = [&](const auto& a) {
      if (p.kernel_h == 3) {
        p.stride_h == 1 ? plane<3, 1>(g, buf, wc, b, res, yp, a)
                        : plane<3, 2>(g, buf, wc, b, res, yp, a);
      } else {
        p.stride_h == 1 ? plane<5, 1>(g, buf, wc, b, res, yp, a)
                        : plane<5, 2>(g, buf, wc, b, res, yp, a);
      }
    };
    switch (act.kind()) {
      case ActivationKind::kNone:
        run(FixedActivation<ActivationKind::kNone>{act});
        break;
      case ActivationKind::kRelu:
        run(FixedActivation<ActivationKind::kRelu>{act});
        break;
      case ActivationKind::kClip:
        run(FixedActivation<ActivationKind::kClip>{act});
        break;
      default:
        run(act);
    }
  }
}

}  // namespace

const DepthwiseKernels& depthwise_kernels_avx2() {
  static constexpr DepthwiseKernels kernels = {depthwise_conv2d_avx2_supports,
                                               depthwise_conv2d_avx2};
  return kernels;
}

}  // namespace sinter::kernels::detail
