// Pooling with AVX2. Each plane is first copied into a scratch plane whose border is pre-filled
// with the identity of the reduction (-inf for max, 0 for sum), wide enough for whole vectors:
// the inner loop then has no bounds checks, padding and ceil_mode included, and the copy costs
// one pass over the input, which the pooling reads anyway.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/eltwise/padded_plane_avx2.h"
#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/padded_copy.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels::detail {

namespace {
using avx2::fix_order;
using avx2::tail_mask;
using avx2::tap;

using Geometry = avx2::PaddedPlane;

Geometry geometry(const Pool2dParams& p) {
  Geometry g =
      avx2::padded_plane(p.in_h, p.in_w, p.out_h(), p.out_w(), p.kernel_h, p.kernel_w, p.stride_h,
                         p.stride_w, p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  g.wp = (g.wp + 7) / 8 * 8;  // whole vectors for the row-wise pass of max pooling
  return g;
}

// Scratch plane per thread, reused across calls; refilled only when the geometry changes.
// The key holds everything that decides where the copied interior lies: a border cell must never
// keep data from a call with other pads.
struct Scratch {
  std::vector<float> buf;
  std::vector<int64_t> key;
};

float* prepare(Scratch& s, const Pool2dParams& p, const Geometry& g, bool max) {
  std::vector<int64_t> key = {g.hp, g.wp, p.in_h, p.in_w, p.pad_top, p.pad_left, max};
  if (s.key != key) {
    // 8 floats of slack: copy_in may write a whole vector past the last row's end.
    s.buf.assign(static_cast<size_t>(g.hp * g.wp + 8), max ? -INFINITY : 0.0f);
    s.key = key;
  }
  return s.buf.data();
}

// Copies a plane into the scratch interior; returns whether it holds a NaN, so that max pooling
// can skip per-tap NaN tracking in the common case. A ragged row end is stored as a whole vector
// whose missing lanes hold the padding value: they land in this row's right border, the next
// row's left border, or the next row's interior, which its own copy then overwrites.
bool copy_in(const Pool2dParams& p, const Geometry& g, const float* xp, float* buf, float fill) {
  __m256 nan = _mm256_setzero_ps();
  for (int64_t iy = 0; iy < p.in_h; ++iy) {
    const float* src = xp + iy * p.in_w;
    float* dst = buf + (iy + p.pad_top) * g.wp + p.pad_left;
    int64_t i = 0;
    for (; i + 8 <= p.in_w; i += 8) {
      __m256 v = _mm256_loadu_ps(src + i);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      _mm256_storeu_ps(dst + i, v);
    }
    if (i < p.in_w) {
      const __m256i mask = avx2::tail_mask(p.in_w - i);
      __m256 v = _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(src + i, mask),
                                  _mm256_castsi256_ps(mask));
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      _mm256_storeu_ps(dst + i, v);
    }
  }
  return _mm256_movemask_ps(nan) != 0;
}

// Stores 8 outputs at yp[i] of a plane of `size` floats. A vector cut by a row's end spills
// into the next rows, written later; only one that would leave the plane stops at its edge.
inline void store(float* yp, int64_t i, int64_t size, __m256 v) {
  if (i + 8 <= size) {
    _mm256_storeu_ps(yp + i, v);
  } else {
    avx2::store_partial(yp + i, v, size - i);
  }
}

// Max pooling of a NaN-free plane with a K x K window, split into a max down the K rows of each
// output row (contiguous, full vectors) and a K-tap max along that row: about half the loads
// and shuffles of the direct form.
template <int K, int S>
// cm: scratch of g.wp floats.
void max_plane_separable(const Geometry& g, const float* buf, float* cm, float* y) {
  const int64_t span = (S * g.owv + K + 7) / 8 * 8;  // <= wp, which is a multiple of 8
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = buf + oy * S * g.wp;
    for (int64_t j = 0; j < span; j += 8) {
      __m256 v = _mm256_loadu_ps(row + j);
      for (int ky = 1; ky < K; ++ky) v = _mm256_max_ps(v, _mm256_loadu_ps(row + ky * g.wp + j));
      _mm256_storeu_ps(cm + j, v);
    }
    for (int64_t ox = 0; ox < g.ow; ox += 8) {
      __m256 acc = tap<S>(cm + ox * S);
      for (int kx = 1; kx < K; ++kx) acc = _mm256_max_ps(acc, tap<S>(cm + ox * S + kx));
      store(y, oy * g.ow + ox, g.oh * g.ow, fix_order<S>(acc));
    }
  }
}

// K > 0: a K x K window known at compile time; K == 0: kh x kw at run time.
template <int K, int S, bool Max>
void plane(const Pool2dParams& p, const Geometry& g, const float* buf, float* y,
           const float* count_h, const float* count_w) {
  const int64_t kh = K ? K : p.kernel_h, kw = K ? K : p.kernel_w;
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = buf + oy * S * g.wp;
    for (int64_t ox = 0; ox < g.ow; ox += 8) {
      __m256 acc = _mm256_set1_ps(Max ? -INFINITY : 0.0f);
      __m256 nan = _mm256_setzero_ps();
      for (int64_t ky = 0; ky < kh; ++ky) {
        const float* r = row + ky * g.wp + ox * S;
        for (int64_t kx = 0; kx < kw; ++kx) {
          __m256 v = tap<S>(r + kx);
          if constexpr (Max) {
            acc = _mm256_max_ps(acc, v);
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
          } else {
            acc = _mm256_add_ps(acc, v);
          }
        }
      }
      if constexpr (Max) acc = _mm256_blendv_ps(acc, _mm256_set1_ps(NAN), nan);
      acc = fix_order<S>(acc);
      if constexpr (!Max) {
        __m256 cnt = _mm256_mul_ps(_mm256_set1_ps(count_h[oy]), _mm256_loadu_ps(count_w + ox));
        acc = _mm256_div_ps(acc, cnt);
      }
      store(y, oy * g.ow + ox, g.oh * g.ow, acc);
    }
  }
}

// Divisor factors along one axis: the divisor of a window is count_h[oy] * count_w[ox].
std::vector<float> counts(int64_t out, int64_t padded_out, int64_t in, int64_t k, int64_t s,
                          int64_t pad_begin, int64_t pad_end, bool include_pad) {
  std::vector<float> c(static_cast<size_t>(padded_out), 1.0f);
  const int64_t lo = include_pad ? -pad_begin : 0, hi = include_pad ? in + pad_end : in;
  for (int64_t o = 0; o < out; ++o) {
    int64_t n = 0;
    for (int64_t t = 0; t < k; ++t) {
      int64_t pos = o * s - pad_begin + t;
      n += pos >= lo && pos < hi;
    }
    c[o] = static_cast<float>(std::max<int64_t>(n, 1));
  }
  return c;
}

template <bool Max>
void pool(const Pool2dParams& p, const float* x, float* y, int64_t b, int64_t e) {
  thread_local Scratch scratch;
  const Geometry g = geometry(p);
  float* buf = prepare(scratch, p, g, Max);
  std::vector<float> ch, cw;
  if (!Max) {
    ch = counts(g.oh, g.oh, p.in_h, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom,
                p.count_include_pad);
    cw = counts(g.ow, g.owv, p.in_w, p.kernel_w, p.stride_w, p.pad_left, p.pad_right,
                p.count_include_pad);
  }
  const bool square = p.kernel_h == p.kernel_w;
  thread_local std::vector<float> col_max;
  col_max.resize(static_cast<size_t>(g.wp));
  float* cm = col_max.data();
  for (int64_t c = b; c < e; ++c) {
    const bool has_nan = copy_in(p, g, x + c * p.in_plane_stride(), buf, Max ? -INFINITY : 0.0f);
    float* yp = y + c * p.out_plane_stride();
    const int64_t k = square ? p.kernel_h : 0;
    const bool s1 = p.stride_h == 1 && p.stride_w == 1;
    if (Max && !has_nan && (k == 2 || k == 3)) {
      if (k == 2)
        s1 ? max_plane_separable<2, 1>(g, buf, cm, yp) : max_plane_separable<2, 2>(g, buf, cm, yp);
      if (k == 3)
        s1 ? max_plane_separable<3, 1>(g, buf, cm, yp) : max_plane_separable<3, 2>(g, buf, cm, yp);
    } else if (s1) {
      if (k == 2)
        plane<2, 1, Max>(p, g, buf, yp, ch.data(), cw.data());
      else if (k == 3)
        plane<3, 1, Max>(p, g, buf, yp, ch.data(), cw.data());
      else
        plane<0, 1, Max>(p, g, buf, yp, ch.data(), cw.data());
    } else {
      if (k == 2)
        plane<2, 2, Max>(p, g, buf, yp, ch.data(), cw.data());
      else if (k == 3)
        plane<3, 2, Max>(p, g, buf, yp, ch.data(), cw.data());
      else
        plane<0, 2, Max>(p, g, buf, yp, ch.data(), cw.data());
    }
  }
}

bool pool2d_avx2_supports(const Pool2dParams& p) {
  const bool s1 = p.stride_h == 1 && p.stride_w == 1, s2 = p.stride_h == 2 && p.stride_w == 2;
  return p.dilation_h == 1 && p.dilation_w == 1 && (s1 || s2) && p.out_h() > 0 && p.out_w() > 0 &&
         padded_copy_is_small({p.in_h, p.pad_top, p.pad_bottom, p.kernel_h, 1, p.stride_h},
                              {p.in_w, p.pad_left, p.pad_right, p.kernel_w, 1, p.stride_w});
}

void max_pool2d_avx2(const Pool2dParams& p, const float* x, float* y, int64_t b, int64_t e) {
  pool<true>(p, x, y, b, e);
}

void avg_pool2d_avx2(const Pool2dParams& p, const float* x, float* y, int64_t b, int64_t e) {
  pool<false>(p, x, y, b, e);
}

void global_avg_pool_avx2(const float* x, float* y, int64_t planes, int64_t n) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      s0 = _mm256_add_ps(s0, _mm256_loadu_ps(xp + i));
      s1 = _mm256_add_ps(s1, _mm256_loadu_ps(xp + i + 8));
      s2 = _mm256_add_ps(s2, _mm256_loadu_ps(xp + i + 16));
      s3 = _mm256_add_ps(s3, _mm256_loadu_ps(xp + i + 24));
    }
    for (; i < n; i += 8) s0 = _mm256_add_ps(s0, _mm256_maskload_ps(xp + i, tail_mask(n - i)));
    float sum = avx2::hsum_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    y[c] = sum / static_cast<float>(n);
  }
}

void global_max_pool_avx2(const float* x, float* y, int64_t planes, int64_t n) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, nan = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      __m256 a = _mm256_loadu_ps(xp + i), b = _mm256_loadu_ps(xp + i + 8);
      m0 = _mm256_max_ps(m0, a);
      m1 = _mm256_max_ps(m1, b);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
    }
    float m = avx2::hmax_ps(_mm256_max_ps(m0, m1));
    bool has_nan = _mm256_movemask_ps(nan) != 0;
    for (; i < n; ++i) {
      m = xp[i] > m ? xp[i] : m;
      has_nan |= xp[i] != xp[i];
    }
    y[c] = has_nan ? NAN : m;
  }
}

}  // namespace

const PoolKernels& pool_kernels_avx2() {
  static constexpr PoolKernels kernels = {pool2d_avx2_supports, max_pool2d_avx2, avg_pool2d_avx2,
                                          global_avg_pool_avx2, global_max_pool_avx2};
  return kernels;
}

}  // namespace sinter::kernels::detail
