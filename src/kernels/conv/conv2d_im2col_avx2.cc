// AVX2 implicit im2col for 16-wide slivers at stride_w 1 or 2: each packed row of 16 pixels is
// a few (masked) loads straight from the image rows, where padding and row wrap-around are
// lanes switched off in the mask.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/conv/conv2d_im2col.h"

namespace sinter {

namespace {

// A run of a sliver's pixels on one output row: the input row and column its first pixel reads
// at kernel offset (0, 0), and the sliver lanes it fills.
struct Segment {
  int64_t ih_base, iw_base;
  int col, len;
};

void pack_nr16(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
               float* dst) {
  constexpr int NR = 16;
  const int64_t OW = s.OW(), H = s.H, W = s.W, KW = s.KW, KH = s.KH;
  const int64_t dh = s.dilation_h, dw = s.dilation_w;
  const int64_t slivers = (nc + NR - 1) / NR;
  thread_local std::vector<Segment> segs;
  thread_local std::vector<int> first;  // segments of sliver i: [first[i], first[i + 1])
  segs.clear();
  first.assign(static_cast<size_t>(slivers + 1), 0);
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t cnt = std::min<int64_t>(NR, nc - j0);
    for (int64_t c = 0, p = n0 + j0; c < cnt;) {
      const int64_t oh = p / OW, ow = p % OW, l = std::min(cnt - c, OW - ow);
      segs.push_back({oh * s.stride_h - s.pad_top, ow * s.stride_w - s.pad_left,
                      static_cast<int>(c), static_cast<int>(l)});
      c += l;
      p += l;
    }
    first[static_cast<size_t>(j0 / NR + 1)] = static_cast<int>(segs.size());
  }
  const __m256i lane0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lane1 = _mm256_add_epi32(lane0, _mm256_set1_epi32(8));
  // Stride 2: the sliver lane each of 32 source floats feeds; odd floats feed none (-1).
  const __m256i src_lane[4] = {_mm256_setr_epi32(0, -1, 1, -1, 2, -1, 3, -1),
                               _mm256_setr_epi32(4, -1, 5, -1, 6, -1, 7, -1),
                               _mm256_setr_epi32(8, -1, 9, -1, 10, -1, 11, -1),
                               _mm256_setr_epi32(12, -1, 13, -1, 14, -1, 15, -1)};
  const int64_t sw = s.stride_w;
  // Row k of every sliver before row k + 1: consecutive reads stay within one input plane.
  int64_t c = k0 / (KH * KW), kh = (k0 / KW) % KH, kw = k0 % KW;
  for (int64_t k = 0; k < kc; ++k) {
    const float* xc = x + c * H * W;
    for (int64_t sl = 0; sl < slivers; ++sl) {
      float* d = dst + sl * kc * NR + k * NR;
      __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
      for (int i = first[static_cast<size_t>(sl)]; i < first[static_cast<size_t>(sl + 1)]; ++i) {
        const Segment& g = segs[static_cast<size_t>(i)];
        const int64_t ih = g.ih_base + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const int64_t iw0 = g.iw_base + kw * dw;
        // Pixels [lo, hi) of the segment read inside the image row (iw0 + sw * j in [0, W)).
        const int64_t lo = std::clamp<int64_t>((-iw0 + sw - 1) / sw, 0, g.len);
        const int64_t hi = std::clamp<int64_t>((W - iw0 + sw - 1) / sw, lo, g.len);
        const __m256i a = _mm256_set1_epi32(static_cast<int>(g.col + lo));
        const __m256i b = _mm256_set1_epi32(static_cast<int>(g.col + hi));
        if (sw == 2) {
          // Lane j reads src[2 j]: masked loads of 32 floats keep the even ones in range, and
          // a shuffle packs the evens into the two 8-lane halves.
          const float* src = xc + ih * W + iw0 - 2 * g.col;
          __m256 q[4];
          for (int h = 0; h < 4; ++h) {
            const __m256i m = _mm256_andnot_si256(_mm256_cmpgt_epi32(a, src_lane[h]),
                                                  _mm256_cmpgt_epi32(b, src_lane[h]));
            q[h] = _mm256_maskload_ps(src + 8 * h, m);
          }
          const __m256 e0 = _mm256_castpd_ps(
              _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(q[0], q[1], 0x88)), 0xD8));
          const __m256 e1 = _mm256_castpd_ps(
              _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(q[2], q[3], 0x88)), 0xD8));
          v0 = _mm256_or_ps(v0, e0);
          v1 = _mm256_or_ps(v1, e1);
          continue;
        }
        // Lane j of the sliver reads src[j]; only lanes in [col + lo, col + hi) are enabled.
        const float* src = xc + ih * W + iw0 - g.col;
        if (lo == 0 && hi == NR) {
          v0 = _mm256_loadu_ps(src);
          v1 = _mm256_loadu_ps(src + 8);
          continue;
        }
        const __m256i m0 =
            _mm256_andnot_si256(_mm256_cmpgt_epi32(a, lane0), _mm256_cmpgt_epi32(b, lane0));
        const __m256i m1 =
            _mm256_andnot_si256(_mm256_cmpgt_epi32(a, lane1), _mm256_cmpgt_epi32(b, lane1));
        v0 = _mm256_or_ps(v0, _mm256_maskload_ps(src, m0));
        v1 = _mm256_or_ps(v1, _mm256_maskload_ps(src + 8, m1));
      }
      _mm256_store_ps(d, v0);
      _mm256_store_ps(d + 8, v1);
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
  if (nr == 16 && (s.stride_w == 1 || s.stride_w == 2)) return pack_nr16(s, x, k0, kc, n0, nc, dst);
  detail::pack_im2col_portable(s, x, k0, kc, n0, nc, nr, dst);
}

}  // namespace

namespace detail {
const Im2colKernels& im2col_kernels_avx2() {
  static const Im2colKernels k{pack};
  return k;
}
}  // namespace detail

}  // namespace sinter
