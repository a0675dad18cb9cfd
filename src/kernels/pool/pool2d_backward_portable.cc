// Pooling gradients in portable C++ (GCC/Clang vector extensions for the 2x2 max windows), the
// portable tier of PoolBackwardKernels.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/pool/pool2d_backward.h"

namespace sinter::kernels::detail {

namespace {

// Whether v replaces m as a window's pick, scanning in order: larger, or the first NaN (v
// unordered with a number m). Bitwise rather than short-circuit operators, so that it compiles
// to a select instead of branches that random data mispredicts.
inline bool takes_over(float v, float m) { return !(v <= m) & (m == m); }

// Windows that tile the input: each element in at most one window, none reaching outside it.
bool tiles(const Pool2dParams& p) {
  return p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.stride_h == p.kernel_h &&
         p.stride_w == p.kernel_w && p.out_h() * p.kernel_h <= p.in_h &&
         p.out_w() * p.kernel_w <= p.in_w;
}

// Zeroes what no window covers: the columns right of the last window in rows [0, rows), and
// the rows below them.
void zero_uncovered(const Pool2dParams& p, int64_t rows, int64_t cols, float* dp) {
  if (cols < p.in_w)
    for (int64_t iy = 0; iy < rows; ++iy)
      std::fill(dp + iy * p.in_w + cols, dp + (iy + 1) * p.in_w, 0.0f);
  std::fill(dp + rows * p.in_w, dp + p.in_h * p.in_w, 0.0f);
}

// Four floats in GCC/Clang vector extensions: SSE on x86-64's baseline, NEON on ARM.
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(float* p, v4f v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline v4i takes_over4(v4f v, v4f m) { return ~(v <= m) & (m == m); }
inline v4f select4(v4i mask, v4f a, v4f b) {
  return reinterpret_cast<v4f>((mask & reinterpret_cast<v4i>(a)) |
                               (~mask & reinterpret_cast<v4i>(b)));
}

// Four 2x2 windows from ox on: the candidates are split out of two input rows into four
// vectors, compared as masks, and dy is written to the one picked and 0 to the others.
inline void max_2x2_four(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                         int64_t ox) {
  const v4f zero = {0, 0, 0, 0};
  const v4f r0a = load4(r0 + 2 * ox), r0b = load4(r0 + 2 * ox + 4);
  const v4f r1a = load4(r1 + 2 * ox), r1b = load4(r1 + 2 * ox + 4);
  const v4f a = __builtin_shufflevector(r0a, r0b, 0, 2, 4, 6);
  const v4f b = __builtin_shufflevector(r0a, r0b, 1, 3, 5, 7);
  const v4f c = __builtin_shufflevector(r1a, r1b, 0, 2, 4, 6);
  const v4f d = __builtin_shufflevector(r1a, r1b, 1, 3, 5, 7);
  const v4i to_b = takes_over4(b, a);
  const v4f m1 = select4(to_b, b, a);
  const v4i to_c = takes_over4(c, m1);
  const v4i to_d = takes_over4(d, select4(to_c, c, m1));
  const v4f gv = load4(g + ox);
  const v4f gd = select4(to_d, gv, zero);
  const v4f gc = select4(~to_d & to_c, gv, zero);
  const v4f gb = select4(~to_d & ~to_c & to_b, gv, zero);
  const v4f ga = select4(~to_d & ~to_c & ~to_b, gv, zero);
  store4(d0 + 2 * ox, __builtin_shufflevector(ga, gb, 0, 4, 1, 5));
  store4(d0 + 2 * ox + 4, __builtin_shufflevector(ga, gb, 2, 6, 3, 7));
  store4(d1 + 2 * ox, __builtin_shufflevector(gc, gd, 0, 4, 1, 5));
  store4(d1 + 2 * ox + 4, __builtin_shufflevector(gc, gd, 2, 6, 3, 7));
}

// One row of 2x2 windows. A row whose width is not a multiple of four ends with four windows
// that overlap ones already done: they write the same values again, cheaper than a scalar tail.
void max_2x2_row(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                 int64_t ow) {
  if (ow >= 4) {
    int64_t ox = 0;
    for (; ox + 4 <= ow; ox += 4) max_2x2_four(r0, r1, g, d0, d1, ox);
    if (ox < ow) max_2x2_four(r0, r1, g, d0, d1, ow - 4);
    return;
  }
  for (int64_t ox = 0; ox < ow; ++ox) {
    const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    const bool to_b = takes_over(b, a);
    const float m1 = to_b ? b : a;
    const bool to_c = takes_over(c, m1);
    const bool to_d = takes_over(d, to_c ? c : m1);
    const float gv = g[ox];
    d1[2 * ox + 1] = to_d ? gv : 0.0f;
    d1[2 * ox] = !to_d && to_c ? gv : 0.0f;
    d0[2 * ox + 1] = !to_d && !to_c && to_b ? gv : 0.0f;
    d0[2 * ox] = !to_d && !to_c && !to_b ? gv : 0.0f;
  }
}

void max_tiled_plane(const Pool2dParams& p, const float* xp, const float* gp, float* dp) {
  const int64_t oh = p.out_h(), ow = p.out_w(), w = p.in_w, kh = p.kernel_h, kw = p.kernel_w;
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* band = xp + oy * kh * w;
    float* out = dp + oy * kh * w;
    if (kh == 2 && kw == 2) {
      max_2x2_row(band, band + w, gp + oy * ow, out, out + w, ow);
      continue;
    }
    for (int64_t ox = 0; ox < ow; ++ox) {
      const float* win = band + ox * kw;
      int64_t best = 0;
      float m = win[0];
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx) {
          const bool t = takes_over(win[ky * w + kx], m);
          m = t ? win[ky * w + kx] : m;
          best = t ? ky * w + kx : best;
        }
      float* d = out + ox * kw;
      for (int64_t ky = 0; ky < kh; ++ky) std::fill(d + ky * w, d + ky * w + kw, 0.0f);
      d[best] = gp[oy * ow + ox];
    }
  }
  zero_uncovered(p, oh * kh, ow * kw, dp);
}

void avg_tiled_plane(const Pool2dParams& p, const float* gp, float* dp) {
  const int64_t oh = p.out_h(), ow = p.out_w(), w = p.in_w, kh = p.kernel_h, kw = p.kernel_w;
  const float count = static_cast<float>(kh * kw);
  std::vector<float> share(ow);
  for (int64_t oy = 0; oy < oh; ++oy) {
    // Divided, not multiplied by a reciprocal, exactly as the reference rounds.
    for (int64_t ox = 0; ox < ow; ++ox) share[ox] = gp[oy * ow + ox] / count;
    for (int64_t ky = 0; ky < kh; ++ky) {
      float* row = dp + (oy * kh + ky) * w;
      if (kw == 2) {
        for (int64_t ox = 0; ox < ow; ++ox) row[2 * ox] = row[2 * ox + 1] = share[ox];
      } else {
        for (int64_t ox = 0; ox < ow; ++ox)
          std::fill(row + ox * kw, row + (ox + 1) * kw, share[ox]);
      }
    }
  }
  zero_uncovered(p, oh * kh, ow * kw, dp);
}

// One output row's (or column's) window along an axis: where it starts in the input (negative
// inside the padding), the taps [lo, hi) that land in the input, and how many land in the
// input or its explicit padding (AveragePool's count_include_pad divisor).
struct Span {
  int64_t start, lo, hi, padded;
};

std::vector<Span> spans(int64_t out, int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin,
                        int64_t pad_end, int64_t dilation) {
  // Taps t with first <= start + t * dilation < last.
  auto taps = [&](int64_t start, int64_t first, int64_t last, int64_t& lo, int64_t& hi) {
    lo = start >= first ? 0 : (first - start + dilation - 1) / dilation;
    hi = last <= start ? 0 : std::min(kernel, (last - start + dilation - 1) / dilation);
    hi = std::max(hi, lo);
  };
  std::vector<Span> s(out);
  for (int64_t o = 0; o < out; ++o) {
    Span& sp = s[o];
    sp.start = o * stride - pad_begin;
    taps(sp.start, 0, in, sp.lo, sp.hi);
    int64_t plo, phi;
    taps(sp.start, -pad_begin, in + pad_end, plo, phi);
    sp.padded = phi - plo;
  }
  return s;
}

struct Windows {
  std::vector<Span> y, x;
  explicit Windows(const Pool2dParams& p)
      : y(spans(p.out_h(), p.in_h, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom, p.dilation_h)),
        x(spans(p.out_w(), p.in_w, p.kernel_w, p.stride_w, p.pad_left, p.pad_right, p.dilation_w)) {
  }
};

// Four neighbouring windows of one output row whose taps all lie inside the input, scanned side
// by side a lane each: the same picks as one at a time, without a branch per tap. Plane offsets
// fit in int32 (max_general_plane checks).
void max_four_windows(const Pool2dParams& p, const Span& sy, int64_t x0, const float* xp,
                      const float* g, float* dp) {
  const int64_t sw = p.stride_w;
  // Seeded with the first tap, which the scan then meets again without taking it over.
  const int64_t i0 = (sy.start + sy.lo * p.dilation_h) * p.in_w + x0;
  v4f m = {xp[i0], xp[i0 + sw], xp[i0 + 2 * sw], xp[i0 + 3 * sw]};
  v4i best = {int32_t(i0), int32_t(i0 + sw), int32_t(i0 + 2 * sw), int32_t(i0 + 3 * sw)};
  for (int64_t ky = sy.lo; ky < sy.hi; ++ky) {
    const int64_t row = (sy.start + ky * p.dilation_h) * p.in_w + x0;
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const int64_t i = row + kx * p.dilation_w;
      const v4i at = {int32_t(i), int32_t(i + sw), int32_t(i + 2 * sw), int32_t(i + 3 * sw)};
      const v4f v = {xp[i], xp[i + sw], xp[i + 2 * sw], xp[i + 3 * sw]};
      const v4i t = takes_over4(v, m);
      m = select4(t, v, m);
      best = (t & at) | (~t & best);
    }
  }
  for (int j = 0; j < 4; ++j) dp[best[j]] += g[j];
}

// Overlapping, padded or dilated windows: scatter into a zeroed plane, windows in order, so that
// overlaps add up exactly as in the reference.
void max_general_plane(const Pool2dParams& p, const Windows& win, const float* xp, const float* gp,
                       float* dp) {
  std::fill(dp, dp + p.in_h * p.in_w, 0.0f);
  const int64_t ow = static_cast<int64_t>(win.x.size());
  const bool int32_offsets = p.in_h * p.in_w <= INT32_MAX;
  auto whole_in_x = [&](int64_t ox) { return win.x[ox].lo == 0 && win.x[ox].hi == p.kernel_w; };
  for (size_t oy = 0; oy < win.y.size(); ++oy) {
    const Span& sy = win.y[oy];
    if (sy.lo == sy.hi) continue;  // the row of windows lies in the padding
    for (int64_t ox = 0; ox < ow;) {
      if (int32_offsets && ox + 4 <= ow && whole_in_x(ox) && whole_in_x(ox + 3)) {
        max_four_windows(p, sy, win.x[ox].start, xp, gp + oy * ow + ox, dp);
        ox += 4;
        continue;
      }
      const Span& sx = win.x[ox];
      if (sx.lo < sx.hi) {
        int64_t best = (sy.start + sy.lo * p.dilation_h) * p.in_w + sx.start + sx.lo * p.dilation_w;
        float m = xp[best];
        for (int64_t ky = sy.lo; ky < sy.hi; ++ky) {
          const int64_t row = (sy.start + ky * p.dilation_h) * p.in_w + sx.start;
          for (int64_t kx = sx.lo; kx < sx.hi; ++kx) {
            const int64_t i = row + kx * p.dilation_w;
            const bool t = takes_over(xp[i], m);
            m = t ? xp[i] : m;
            best = t ? i : best;
          }
        }
        dp[best] += gp[oy * ow + ox];
      }
      ++ox;
    }
  }
}

void avg_general_plane(const Pool2dParams& p, const Windows& win, const float* gp, float* dp) {
  std::fill(dp, dp + p.in_h * p.in_w, 0.0f);
  const int64_t ow = static_cast<int64_t>(win.x.size());
  for (size_t oy = 0; oy < win.y.size(); ++oy) {
    const Span& sy = win.y[oy];
    for (int64_t ox = 0; ox < ow; ++ox) {
      const Span& sx = win.x[ox];
      const int64_t count =
          p.count_include_pad ? sy.padded * sx.padded : (sy.hi - sy.lo) * (sx.hi - sx.lo);
      if (count == 0) continue;
      const float share = gp[oy * ow + ox] / static_cast<float>(count);
      for (int64_t ky = sy.lo; ky < sy.hi; ++ky) {
        const int64_t row = (sy.start + ky * p.dilation_h) * p.in_w + sx.start;
        for (int64_t kx = sx.lo; kx < sx.hi; ++kx) dp[row + kx * p.dilation_w] += share;
      }
    }
  }
}

void max_backward(const Pool2dParams& p, const float* x, const float* dy, float* dx,
                  int64_t plane_begin, int64_t plane_end) {
  const int64_t in = p.in_h * p.in_w, out = p.out_h() * p.out_w();
  if (tiles(p)) {
    for (int64_t c = plane_begin; c < plane_end; ++c)
      max_tiled_plane(p, x + c * in, dy + c * out, dx + c * in);
    return;
  }
  const Windows win(p);
  for (int64_t c = plane_begin; c < plane_end; ++c)
    max_general_plane(p, win, x + c * in, dy + c * out, dx + c * in);
}

void avg_backward(const Pool2dParams& p, const float* dy, float* dx, int64_t plane_begin,
                  int64_t plane_end) {
  const int64_t in = p.in_h * p.in_w, out = p.out_h() * p.out_w();
  if (tiles(p)) {
    for (int64_t c = plane_begin; c < plane_end; ++c) avg_tiled_plane(p, dy + c * out, dx + c * in);
    return;
  }
  const Windows win(p);
  for (int64_t c = plane_begin; c < plane_end; ++c)
    avg_general_plane(p, win, dy + c * out, dx + c * in);
}

}  // namespace

const PoolBackwardKernels& pool_backward_kernels_portable() {
  static constexpr PoolBackwardKernels kernels = {max_backward, avg_backward};
  return kernels;
}

}  // namespace sinter::kernels::detail
