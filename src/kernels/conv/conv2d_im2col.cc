#include "kernels/conv/conv2d_im2col.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace sinter {
namespace {

// A run of consecutive output pixels on one output row, landing at column `col` of a sliver.
struct Segment {
  int64_t oh, ow, len, col;
};

template <int NR>
void pack_im2col(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0,
                 int64_t nc, float* dst) {
  const int64_t OW = s.OW(), H = s.H, W = s.W, KW = s.KW, KH = s.KH;
  const int64_t sh = s.stride_h, sw = s.stride_w, dh = s.dilation_h, dw = s.dilation_w;
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t cnt = std::min<int64_t>(NR, nc - j0);
    Segment seg[NR];
    int nseg = 0;
    for (int64_t col = 0, p = n0 + j0; col < cnt;) {
      const int64_t oh = p / OW, ow = p % OW, len = std::min(cnt - col, OW - ow);
      seg[nseg++] = {oh, ow, len, col};
      col += len;
      p += len;
    }
    float* d = dst + (j0 / NR) * kc * NR;
    int64_t c = k0 / (KH * KW), kh = (k0 / KW) % KH, kw = k0 % KW;
    for (int64_t k = 0; k < kc; ++k, d += NR) {
      const float* xc = x + c * H * W;
      for (int i = 0; i < nseg; ++i) {
        const Segment& g = seg[i];
        float* o = d + g.col;
        const int64_t ih = g.oh * sh - s.pad_top + kh * dh;
        if (ih < 0 || ih >= H) {
          std::fill(o, o + g.len, 0.0f);
          continue;
        }
        const float* row = xc + ih * W;
        const int64_t iw0 = g.ow * sw - s.pad_left + kw * dw;
        if (sw == 1) {
          // Columns [lo, hi) of the segment fall inside the image row; the rest is padding.
          const int64_t lo = std::clamp<int64_t>(-iw0, 0, g.len);
          const int64_t hi = std::clamp<int64_t>(W - iw0, lo, g.len);
          if (lo == 0 && hi == NR) {
            std::memcpy(o, row + iw0, NR * sizeof(float));  // the common interior sliver
            continue;
          }
          for (int64_t j = 0; j < lo; ++j) o[j] = 0.0f;
          for (int64_t j = lo; j < hi; ++j) o[j] = row[iw0 + j];
          for (int64_t j = hi; j < g.len; ++j) o[j] = 0.0f;
        } else {
          for (int64_t j = 0; j < g.len; ++j) {
            const int64_t iw = iw0 + j * sw;
            o[j] = iw >= 0 && iw < W ? row[iw] : 0.0f;
          }
        }
      }
      for (int64_t j = cnt; j < NR; ++j) d[j] = 0.0f;
      if (++kw == KW) {
        kw = 0;
        if (++kh == KH) {
          kh = 0;
          ++c;
        }
      }
    }
  }
}

}  // namespace

void im2col_transposed_packed(const Conv2dShape& s, const float* x, int mr, int64_t kb, int64_t k0,
                              int64_t k1, float* dst) {
  const int64_t OH = s.OH(), OW = s.OW(), P = OH * OW, K = s.C * s.KH * s.KW;
  const int64_t mpad = (P + mr - 1) / mr * mr, taps = s.KH * s.KW;
  // Where each pixel of each tap reads within a channel's plane (-1: padding, and the pixels
  // that pad the last sliver), the same for every channel: the loop below is then one load and
  // one store per element, with no per-element index arithmetic.
  thread_local std::vector<int64_t> offsets;
  offsets.assign(static_cast<size_t>(taps * mpad), -1);
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t ih = oh * s.stride_h - s.pad_top + t / s.KW * s.dilation_h;
        const int64_t iw = ow * s.stride_w - s.pad_left + t % s.KW * s.dilation_w;
        if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
          offsets[static_cast<size_t>(t * mpad + oh * OW + ow)] = ih * s.W + iw;
      }
  // Slivers whose mr pixels read consecutive floats (every one of a 1x1 conv's but the last)
  // are one vector copy: their first offset, or -1.
  const int64_t slivers = mpad / mr;
  thread_local std::vector<int64_t> runs;
  runs.assign(static_cast<size_t>(taps * slivers), -1);
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t sl = 0; sl < slivers; ++sl) {
      const int64_t* off = offsets.data() + t * mpad + sl * mr;
      bool run = off[0] >= 0;
      for (int i = 1; i < mr && run; ++i) run = off[i] == off[0] + i;
      if (run) runs[static_cast<size_t>(t * slivers + sl)] = off[0];
    }
  for (int64_t k = k0; k < k1; ++k) {
    const float* xc = x + k / taps * s.H * s.W;
    const int64_t* off = offsets.data() + k % taps * mpad;
    const int64_t* run = runs.data() + k % taps * slivers;
    const int64_t pc = k / kb * kb, kc = std::min(kb, K - pc);
    // Pixels go mr at a time into consecutive slivers, kc * mr floats apart.
    float* out = dst + pc * mpad + (k - pc) * mr;
    for (int64_t sl = 0; sl < slivers; ++sl, out += kc * mr) {
      if (run[sl] >= 0) {
        // A constant size (the AVX tiers' mr) compiles to one vector move. (The same copy with
        // the count chosen by a conditional became a memmove call: a quarter of the packing.)
        if (mr == 8) {
          std::memcpy(out, xc + run[sl], 8 * sizeof(float));
        } else {
          std::copy_n(xc + run[sl], mr, out);
        }
        continue;
      }
      for (int i = 0; i < mr; ++i) {
        const int64_t o = off[sl * mr + i];
        out[i] = o >= 0 ? xc[o] : 0.0f;
      }
    }
  }
}

namespace detail {

void pack_im2col_portable(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0,
                          int64_t nc, int nr, float* dst) {
  switch (nr) {
    case 8:
      return pack_im2col<8>(s, x, k0, kc, n0, nc, dst);
    case 16:
      return pack_im2col<16>(s, x, k0, kc, n0, nc, dst);
    case 32:
      return pack_im2col<32>(s, x, k0, kc, n0, nc, dst);
    default:
      SINTER_CHECK(false, "im2col: no packer for nr=", nr);
  }
}

const Im2colKernels& im2col_kernels_portable() {
  static const Im2colKernels k{pack_im2col_portable};
  return k;
}

}  // namespace detail

const kernels::IsaTables<Im2colKernels>& im2col_kernels() {
  static const kernels::IsaTables<Im2colKernels> t{&detail::im2col_kernels_portable(),
                                                   &detail::im2col_kernels_avx2(),
                                                   &detail::im2col_kernels_avx512()};
  return t;
}

Im2colPacker::Im2colPacker(const Conv2dShape& s, const float* x)
    : s_(s), x_(x), pack_(im2col_kernels().active().pack) {}

void Im2colPacker::pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) const {
  pack_(s_, x_, k0, kc, n0, nc, nr, dst);
}

}  // namespace sinter
