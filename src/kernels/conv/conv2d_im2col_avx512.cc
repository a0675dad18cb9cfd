// AVX-512 implicit im2col for 32-wide slivers (the AVX-512 GEMM's NR) at stride_w 1 or 2: each
// packed row of 32 pixels is two (stride 1) or four (stride 2) masked loads straight from the
// image rows; padding and row wrap-around are lanes switched off in the mask (masked-off lanes
// never fault).
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/conv/conv2d_im2col.h"

namespace sinter {
namespace {

constexpr int kNR = 32;

// A run of a sliver's pixels on one output row: the input row and column its first pixel reads
// at kernel offset (0, 0), and the sliver lanes it fills.
struct Segment {
  int64_t ih_base, iw_base;
  int col, len;
};

// Lanes [lo, hi) of a 32-lane sliver.
inline uint32_t lane_range(int64_t lo, int64_t hi) {
  const uint64_t upto_hi = hi >= 32 ? 0xFFFFFFFFull : (1ull << hi) - 1;
  const uint64_t below_lo = (1ull << lo) - 1;
  return static_cast<uint32_t>(upto_hi & ~below_lo);
}

// Bits 0..7 of x moved to the even bits 0, 2, .., 14.
inline __mmask16 spread_to_even(uint32_t x) {
  x &= 0xFF;
  x = (x | (x << 4)) & 0x0F0F;
  x = (x | (x << 2)) & 0x3333;
  x = (x | (x << 1)) & 0x5555;
  return static_cast<__mmask16>(x);
}

void pack_nr32(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
               float* dst) {
  const int64_t OW = s.OW(), H = s.H, W = s.W, KW = s.KW, KH = s.KH;
  const int64_t dh = s.dilation_h, dw = s.dilation_w, sw = s.stride_w;
  const int64_t slivers = (nc + kNR - 1) / kNR;
  thread_local std::vector<Segment> segs;
  thread_local std::vector<int> first;  // segments of sliver i: [first[i], first[i + 1])
  segs.clear();
  first.assign(static_cast<size_t>(slivers + 1), 0);
  for (int64_t j0 = 0; j0 < nc; j0 += kNR) {
    const int64_t cnt = std::min<int64_t>(kNR, nc - j0);
    for (int64_t c = 0, p = n0 + j0; c < cnt;) {
      const int64_t oh = p / OW, ow = p % OW, l = std::min(cnt - c, OW - ow);
      segs.push_back({oh * s.stride_h - s.pad_top, ow * sw - s.pad_left, static_cast<int>(c),
                      static_cast<int>(l)});
      c += l;
      p += l;
    }
    first[static_cast<size_t>(j0 / kNR + 1)] = static_cast<int>(segs.size());
  }
  // Even source floats, in order: the stride-2 gather of two 16-float loads.
  const __m512i evens =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // Row k of every sliver before row k + 1: consecutive reads stay within one input plane.
  int64_t c = k0 / (KH * KW), kh = (k0 / KW) % KH, kw = k0 % KW;
  for (int64_t k = 0; k < kc; ++k) {
    const float* xc = x + c * H * W;
    for (int64_t sl = 0; sl < slivers; ++sl) {
      float* d = dst + sl * kc * kNR + k * kNR;
      __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
      for (int i = first[static_cast<size_t>(sl)]; i < first[static_cast<size_t>(sl + 1)]; ++i) {
        const Segment& g = segs[static_cast<size_t>(i)];
        const int64_t ih = g.ih_base + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const int64_t iw0 = g.iw_base + kw * dw;
        // Pixels [lo, hi) of the segment read inside the image row (iw0 + sw * j in [0, W)).
        const int64_t lo = std::clamp<int64_t>((-iw0 + sw - 1) / sw, 0, g.len);
        const int64_t hi = std::clamp<int64_t>((W - iw0 + sw - 1) / sw, lo, g.len);
        const uint32_t lanes = lane_range(g.col + lo, g.col + hi);
        if (sw == 2) {
          // Sliver lane j reads src[2 j]: load the even floats of 64, then keep the evens.
          const float* src = xc + ih * W + iw0 - 2 * g.col;
          __m512 q[4];
          for (int h = 0; h < 4; ++h)
            q[h] = _mm512_maskz_loadu_ps(spread_to_even(lanes >> (8 * h)), src + 16 * h);
          v0 = _mm512_or_ps(v0, _mm512_permutex2var_ps(q[0], evens, q[1]));
          v1 = _mm512_or_ps(v1, _mm512_permutex2var_ps(q[2], evens, q[3]));
          continue;
        }
        // Sliver lane j reads src[j]; only the lanes in `lanes` are loaded.
        const float* src = xc + ih * W + iw0 - g.col;
        v0 = _mm512_mask_loadu_ps(v0, static_cast<__mmask16>(lanes), src);
        v1 = _mm512_mask_loadu_ps(v1, static_cast<__mmask16>(lanes >> 16), src + 16);
      }
      _mm512_store_ps(d, v0);
      _mm512_store_ps(d + 16, v1);
    }
    if (++kw == KW) {
      kw = 0;
      if (++kh == KH) {
        kh = 0;
        ++c;
      }
    }
  }
}

void pack(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
          int nr, float* dst) {
  if (nr == kNR && (s.stride_w == 1 || s.stride_w == 2))
    return pack_nr32(s, x, k0, kc, n0, nc, dst);
  detail::pack_im2col_portable(s, x, k0, kc, n0, nc, nr, dst);
}

}  // namespace

namespace detail {
const Im2colKernels& im2col_kernels_avx512() {
  static const Im2colKernels k{pack};
  return k;
}
}  // namespace detail

}  // namespace sinter
