// Pooling with AVX-512: pool2d_avx2.cc's scheme at 16 floats a vector, except that 2x2 and 3x3
// max pooling reads the input in place (max_plane_separable). Other planes are copied into
// a scratch plane whose border holds the identity of the reduction (-inf for max, 0 for sum), so
// the inner loop has no bounds checks, padding and ceil_mode included; stride 2 picks the even
// floats of two vectors with one permute, already in order. Sums add the same taps in the same
// order as the reference (the border adds exact zeros), so every result is identical to it.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/padded_copy.h"
#include "kernels/pool/pool2d.h"
#include "kernels/sliding_window_avx512.h"

namespace sinter::kernels::detail {

namespace {
using avx512::tail_mask;
using avx512::tap;
using Geometry = avx512::PaddedPlane;

Geometry geometry(const Pool2dParams& p) {
  return avx512::padded_plane(p.in_h, p.in_w, p.out_h(), p.out_w(), p.kernel_h, p.kernel_w,
                              p.stride_h, p.stride_w, p.pad_top, p.pad_left, p.pad_bottom,
                              p.pad_right);
}

// Scratch plane per thread, reused across calls; refilled only when the geometry changes. The
// key holds everything that decides where the copied interior lies.
struct Scratch {
  std::vector<float> buf;
  std::vector<int64_t> key;
};

float* prepare(Scratch& s, const Pool2dParams& p, const Geometry& g, bool max) {
  std::vector<int64_t> key = {g.hp, g.wp, p.in_h, p.in_w, p.pad_top, p.pad_left, max};
  if (s.key != key) {
    // 16 floats of slack: a row copy may write a whole vector past the last row's end.
    s.buf.assign(static_cast<size_t>(g.hp * g.wp + 16), max ? -INFINITY : 0.0f);
    s.key = key;
  }
  return s.buf.data();
}

// Copies a plane into the scratch interior.
void copy_in(const Pool2dParams& p, const Geometry& g, const float* xp, float* buf, float fill) {
  const __m512 vfill = _mm512_set1_ps(fill);
  for (int64_t iy = 0; iy < p.in_h; ++iy)
    avx512::copy_row(xp + iy * p.in_w, p.in_w, buf + (iy + p.pad_top) * g.wp + p.pad_left, vfill);
}

// The max down input rows [r0, r1) of the 16 columns starting at input column `col` (which may
// lie left of the row or run past its end: those lanes hold -inf). Adds every value read into
// `probe`, whose lanes turn NaN if one was (max_ps drops NaNs; the sum keeps them, at one add a
// load instead of a compare and a mask OR). K: the rows when all K are inside the plane.
template <int K>
inline __m512 column_max(const float* xp, int64_t in_w, int64_t r0, int64_t r1, int64_t col,
                         __m512& probe) {
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  if (r1 - r0 == K && col >= 0 && col + 16 <= in_w) {  // the interior: plain loads
    const float* p = xp + r0 * in_w + col;
    __m512 v = _mm512_loadu_ps(p);
    probe = _mm512_add_ps(probe, v);
    for (int r = 1; r < K; ++r) {
      const __m512 x = _mm512_loadu_ps(p + r * in_w);
      probe = _mm512_add_ps(probe, x);
      v = _mm512_max_ps(v, x);
    }
    return v;
  }
  const int64_t lo = std::max<int64_t>(-col, 0), hi = std::min<int64_t>(in_w - col, 16);
  if (hi <= lo) return lowest;
  const __mmask16 lanes = static_cast<__mmask16>(tail_mask(hi) & ~tail_mask(lo));
  __m512 v = lowest;
  for (int64_t r = r0; r < r1; ++r) {
    const float* row = xp + r * in_w;
    // Left of the row (padding), the row's first floats go to the lanes from lo on.
    const __m512 x = lo > 0 ? _mm512_mask_expandloadu_ps(lowest, lanes, row)
                            : _mm512_mask_loadu_ps(lowest, lanes, row + col);
    probe = _mm512_add_ps(probe, _mm512_maskz_mov_ps(lanes, x));
    v = _mm512_max_ps(v, x);
  }
  return v;
}

// Max pooling with a K x K window straight from the input plane, no copy and nothing stored
// between its two passes (a store read back at another offset stalls store forwarding): the
// column maxes of each output row stay in registers and the K-tap max along the row takes them
// apart with lane shifts (stride 1) or even/odd permutes (stride 2). Returns false, having
// written garbage, when the plane may hold a NaN (max_ps drops it; see column_max): the caller
// redoes that plane.
template <int K, int S>
bool max_plane_separable(const Pool2dParams& p, const Geometry& g, const float* xp, float* y) {
  static_assert((K == 2 || K == 3) && (S == 1 || S == 2));
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const int64_t size = g.oh * g.ow;
  // An inf and a -inf in one lane also sum to NaN: the caller then redoes the plane exactly.
  __m512 probe = _mm512_setzero_ps();
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const int64_t top = oy * S - p.pad_top;
    const int64_t r0 = std::max<int64_t>(top, 0), r1 = std::min<int64_t>(top + K, p.in_h);
    auto columns = [&](int64_t padded_col) {
      return column_max<K>(xp, p.in_w, r0, r1, padded_col - p.pad_left, probe);
    };
    // Output vector i reads padded columns from 16 * S * i on; `next` is the vector there.
    __m512 next = columns(0);
    for (int64_t ox = 0; ox < g.ow; ox += 16) {
      __m512 acc;
      if constexpr (S == 1) {
        const __m512 cur = next;
        next = columns(ox + 16);
        acc = _mm512_max_ps(cur, _mm512_castsi512_ps(_mm512_alignr_epi32(
                                     _mm512_castps_si512(next), _mm512_castps_si512(cur), 1)));
        if constexpr (K == 3)
          acc = _mm512_max_ps(acc, _mm512_castsi512_ps(_mm512_alignr_epi32(
                                       _mm512_castps_si512(next), _mm512_castps_si512(cur), 2)));
      } else {
        const __m512 w0 = next, w1 = columns(2 * ox + 16);
        const __m512 e = _mm512_permutex2var_ps(w0, even, w1);
        acc = _mm512_max_ps(e, _mm512_permutex2var_ps(w0, odd, w1));
        if constexpr (K == 3) {
          next = columns(2 * ox + 32);
          acc = _mm512_max_ps(acc, _mm512_castsi512_ps(_mm512_alignr_epi32(
                                       _mm512_castps_si512(next), _mm512_castps_si512(e), 1)));
        } else if (ox + 16 < g.ow) {
          next = columns(2 * ox + 32);
        }
      }
      avx512::store_in_plane(y, oy * g.ow + ox, size, acc);
    }
  }
  return _mm512_cmp_ps_mask(probe, probe, _CMP_UNORD_Q) == 0;
}

// K > 0: a K x K window known at compile time; K == 0: kh x kw at run time.
template <int K, int S, bool Max>
void plane(const Pool2dParams& p, const Geometry& g, const float* buf, float* y,
           const float* count_h, const float* count_w) {
  const int64_t kh = K ? K : p.kernel_h, kw = K ? K : p.kernel_w;
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = buf + oy * S * g.wp;
    for (int64_t ox = 0; ox < g.ow; ox += 16) {
      __m512 acc = _mm512_set1_ps(Max ? -INFINITY : 0.0f);
      __mmask16 nan = 0;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const float* r = row + ky * g.wp + ox * S;
        for (int64_t kx = 0; kx < kw; ++kx) {
          const __m512 v = tap<S>(r + kx);
          if constexpr (Max) {
            acc = _mm512_max_ps(acc, v);
            nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          } else {
            acc = _mm512_add_ps(acc, v);
          }
        }
      }
      if constexpr (Max) {
        acc = _mm512_mask_blend_ps(nan, acc, _mm512_set1_ps(NAN));
      } else {
        const __m512 cnt =
            _mm512_mul_ps(_mm512_set1_ps(count_h[oy]), _mm512_loadu_ps(count_w + ox));
        acc = _mm512_div_ps(acc, cnt);
      }
      avx512::store_in_plane(y, oy * g.ow + ox, g.oh * g.ow, acc);
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
      const int64_t pos = o * s - pad_begin + t;
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
  const int64_t k = p.kernel_h == p.kernel_w ? p.kernel_h : 0;
  const bool s1 = p.stride_h == 1;
  const float* h = ch.data();
  const float* w = cw.data();
  for (int64_t c = b; c < e; ++c) {
    const float* xp = x + c * p.in_plane_stride();
    float* yp = y + c * p.out_plane_stride();
    if (Max && (k == 2 || k == 3)) {
      const bool done = k == 2 ? (s1 ? max_plane_separable<2, 1>(p, g, xp, yp)
                                     : max_plane_separable<2, 2>(p, g, xp, yp))
                               : (s1 ? max_plane_separable<3, 1>(p, g, xp, yp)
                                     : max_plane_separable<3, 2>(p, g, xp, yp));
      if (done) continue;
    }
    copy_in(p, g, xp, buf, Max ? -INFINITY : 0.0f);
    if (s1) {
      if (k == 2)
        plane<2, 1, Max>(p, g, buf, yp, h, w);
      else if (k == 3)
        plane<3, 1, Max>(p, g, buf, yp, h, w);
      else
        plane<0, 1, Max>(p, g, buf, yp, h, w);
    } else {
      if (k == 2)
        plane<2, 2, Max>(p, g, buf, yp, h, w);
      else if (k == 3)
        plane<3, 2, Max>(p, g, buf, yp, h, w);
      else
        plane<0, 2, Max>(p, g, buf, yp, h, w);
    }
  }
}

bool supports(const Pool2dParams& p) {
  const bool s1 = p.stride_h == 1 && p.stride_w == 1, s2 = p.stride_h == 2 && p.stride_w == 2;
  return p.dilation_h == 1 && p.dilation_w == 1 && (s1 || s2) && p.out_h() > 0 && p.out_w() > 0 &&
         padded_copy_is_small({p.in_h, p.pad_top, p.pad_bottom, p.kernel_h, 1, p.stride_h},
                              {p.in_w, p.pad_left, p.pad_right, p.kernel_w, 1, p.stride_w});
}

void max_pool2d(const Pool2dParams& p, const float* x, float* y, int64_t b, int64_t e) {
  pool<true>(p, x, y, b, e);
}

void avg_pool2d(const Pool2dParams& p, const float* x, float* y, int64_t b, int64_t e) {
  pool<false>(p, x, y, b, e);
}

void global_avg_pool(const float* x, float* y, int64_t planes, int64_t n) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
      s0 = _mm512_add_ps(s0, _mm512_loadu_ps(xp + i));
      s1 = _mm512_add_ps(s1, _mm512_loadu_ps(xp + i + 16));
      s2 = _mm512_add_ps(s2, _mm512_loadu_ps(xp + i + 32));
      s3 = _mm512_add_ps(s3, _mm512_loadu_ps(xp + i + 48));
    }
    for (; i < n; i += 16) s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(tail_mask(n - i), xp + i));
    const float sum =
        _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    y[c] = sum / static_cast<float>(n);
  }
}

void global_max_pool(const float* x, float* y, int64_t planes, int64_t n) {
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    __m512 m0 = lowest, m1 = lowest;
    __mmask16 nan = 0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      const __m512 a = _mm512_loadu_ps(xp + i), b = _mm512_loadu_ps(xp + i + 16);
      m0 = _mm512_max_ps(m0, a);
      m1 = _mm512_max_ps(m1, b);
      nan |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q);
    }
    for (; i < n; i += 16) {
      const __m512 a = _mm512_mask_loadu_ps(lowest, tail_mask(n - i), xp + i);
      m0 = _mm512_max_ps(m0, a);
      nan |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
    }
    y[c] = nan ? NAN : _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
  }
}

}  // namespace

const PoolKernels& pool_kernels_avx512() {
  static constexpr PoolKernels kernels = {supports, max_pool2d, avg_pool2d, global_avg_pool,
                                          global_max_pool};
  return kernels;
}

}  // namespace sinter::kernels::detail
